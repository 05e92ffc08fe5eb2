/// What the rules found about a message in its thread, before the action is chosen.
struct Judgment: Sendable {
    var reason: Reason
    var thread: MessageKey
    var figures = Figures()
    var events: [StormEvent]
    var subject: String
    var author: String

    /// The thread's figures as the store left them, and the message's own audience.
    init(_ reason: Reason, _ change: ThreadChange, audience: AudienceCount) {
        self.reason = reason
        thread = change.thread.key
        events = change.events
        subject = change.subject
        author = change.author
        figures.audience = audience.count
        figures.audienceIsUpperBound = audience.isUpperBound
        figures.threadAudience = change.thread.audience
        figures.repliesInWindow = change.thread.repliesInWindow
        figures.deliveriesInWindow = change.thread.deliveriesInWindow
        figures.blockedUntil = change.thread.blockedUntil
    }
}

/// Step 6 of the rules: the configured action of the rule that fired, its reply text filled in,
/// and the header or recipient changes that action needs. Everything about the verdict is
/// settled here; the daemon and the offline replay only carry it out (`MilterActions`).
extension StormRules {
    /// Reply text when a trim cannot name every recipient to delete.
    static let tooManyToTrimText = "Reply-all to too many recipients refused. Reply to the sender only."

    func act(_ j: Judgment, facts: MessageFacts) -> Verdict {
        var v = Verdict(action: .accept, reason: j.reason, figures: j.figures)
        v.thread = j.thread
        v.events = j.events
        guard let rule = v.rule else { return finish(v) }

        let ra = policy.action(for: rule)
        let text = ReplyTemplate.render(ra.text) { name -> String? in
            switch name {
            case "subject": ReplyTemplate.clean(j.subject, maxBytes: 80)
            case "audience": String(j.figures.audience)
            case "thread_audience": String(j.figures.threadAudience)
            case "replies": String(j.figures.repliesInWindow)
            case "until": j.figures.blockedUntil.map { "\($0)" } ?? "-"
            case "thread": j.thread.description
            case "rule": rule.rawValue
            default: nil
            }
        }
        v.action = ra.action
        switch ra.action {
        case .accept:
            break
        case .tag:
            v.headersToAdd.append(HeaderField(name: policy.headerName, value: headerValue(v, wouldBe: true)))
        case .defer, .reject:
            v.smtpCode = ra.effectiveCode
            v.enhancedCode = ra.effectiveEnhancedCode
            v.text = text
        case .hold:
            v.text = text
        case .trim where facts.recipientsNotKept > 0:
            // why: a trim must delete every recipient; past the ones the bridge kept it cannot,
            // and a half-trimmed storm reply would still reach the rest. Refusing keeps it out.
            v.refuse(Self.tooManyToTrimText)
        case .trim:
            if let author = trimTarget(j, facts: facts) {
                // why keep the author's own entry: Postfix's delrcpt removes every recipient with
                // that address, so deleting it and adding it back would leave nobody at all.
                let isAuthor = { (raw: String) -> Bool in
                    (try? AddressParser.envelope(raw).get())?.address?.key == author
                }
                v.recipientsToRemove = facts.recipients.filter { !isAuthor($0) }
                v.recipientsToAdd = facts.recipients.contains(where: isAuthor) ? [] : ["<\(author)>"]
                v.headersToAdd.append(HeaderField(name: policy.headerName, value: headerValue(v, wouldBe: false)))
            } else {
                // Nobody to trim to: refusing is the only way to keep the storm out.
                v.refuse(text)
            }
        }
        return v
    }

    /// Adds the seen-header to accepted messages when the policy asks for it.
    func finish(_ v: Verdict) -> Verdict {
        guard policy.addSeenHeader, v.action == .accept else { return v }
        var out = v
        out.headersToAdd.append(HeaderField(name: policy.headerName, value: headerValue(v, wouldBe: false)))
        return out
    }

    /// `stop; rule=storm; action=reject; audience=840000; replies=10; thread=…` and the like.
    private func headerValue(_ v: Verdict, wouldBe: Bool) -> String {
        var parts: [String] = []
        if let r = v.rule {
            parts.append(wouldBe ? "would-stop" : "stopped")
            parts.append("rule=\(r.rawValue)")
        } else {
            parts.append("pass")
            parts.append("reason=\(v.reason)")
        }
        parts.append("audience=\(v.figures.audience)")
        if let t = v.thread {
            parts.append("replies=\(v.figures.repliesInWindow)")
            parts.append("thread=\(t)")
        }
        return parts.joined(separator: "; ")
    }

    /// Whom a trimmed reply goes to: the thread's original author, else the first address in
    /// the reply's To (a reply-all puts the person replied to there), never a list.
    private func trimTarget(_ j: Judgment, facts: MessageFacts) -> String? {
        if !j.author.isEmpty, AddressParser.mailbox(j.author) != nil { return j.author }
        for a in AddressParser.headerAddresses(facts.headers.to ?? "", limit: 20)
        where !a.domain.isEmpty && !directory.isList(a) {
            return a.key
        }
        return nil
    }
}

extension Verdict {
    /// Turns the verdict into a reject with the default codes: what a trim that cannot be done becomes.
    mutating func refuse(_ text: String) {
        action = .reject
        smtpCode = RuleAction.defaultCode(for: .reject)
        enhancedCode = RuleAction.defaultEnhancedCode(for: .reject)
        self.text = text
    }
}

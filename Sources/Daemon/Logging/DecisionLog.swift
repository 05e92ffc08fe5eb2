import BreakwaterConfig
package import StormCore

/// The log lines Breakwater writes about mail, in the style of other milters
/// (`<queueid>: breakwater: reject rule=storm from=<a@b> ...`). Every value that came from mail
/// is escaped (`LogText`), and only the fields below are written: never message content.
package enum DecisionLog {
    /// One line for a verdict that is not a plain accept; nil for a plain accept.
    package static func line(for verdict: Verdict, facts: MessageFacts, recipientCount: Int) -> String? {
        if verdict.action == .accept && verdict.rule == nil { return nil }
        var parts = ["\(queue(facts.queueID)): breakwater: \(verdict.action.rawValue)"]
        if let rule = verdict.rule { parts.append("rule=\(rule.rawValue)") } else { parts.append("reason=\(verdict.reason)") }
        parts.append("from=<\(LogText.escape(bare(facts.sender), maxBytes: 120))>")
        parts.append("rcpts=\(recipientCount)")
        if let client = facts.clientAddress { parts.append("client=\(LogText.escape(client, maxBytes: 60))") }
        if let thread = verdict.thread { parts.append("thread=\(thread)") }
        let f = verdict.figures
        parts.append("audience=\(f.audience)\(f.audienceIsUpperBound ? "+" : "")")
        if verdict.thread != nil {
            parts.append("thread_audience=\(f.threadAudience)")
            parts.append("replies=\(f.repliesInWindow)")
        }
        if let until = f.blockedUntil { parts.append("until=\(until)") }
        parts.append("subject=\(LogText.quoted(facts.headers.subject ?? "", maxBytes: 120))")
        return parts.joined(separator: " ")
    }

    /// One line for a storm's change of state (tripped, extended, expired, released, frozen).
    package static func line(for event: StormEvent, queueID: String? = nil) -> String {
        var parts = ["\(queue(queueID)): breakwater: storm \(event.kind.rawValue)", "thread=\(event.thread)",
                     "thread_audience=\(event.threadAudience)", "replies=\(event.repliesInWindow)"]
        if let until = event.blockedUntil { parts.append("until=\(until)") }
        parts.append("subject=\(LogText.quoted(event.subject, maxBytes: 120))")
        return parts.joined(separator: " ")
    }

    /// The queue id as Postfix logs it, `NOQUEUE` when there is none yet.
    static func queue(_ id: String?) -> String {
        guard let id, !id.isEmpty else { return "NOQUEUE" }
        return LogText.escape(id, maxBytes: 40)
    }

    /// `<a@b> SIZE=1` → `a@b`.
    /// By scalar: `>` or a blank followed by a combining mark is one Character with it, and a
    /// Character-wise cut would pass the envelope's parameters off as part of the address.
    static func bare(_ sender: String) -> String {
        let scalars = sender.unicodeScalars
        if scalars.first == "<" {
            return String(scalars.dropFirst().prefix { $0 != ">" })
        }
        return String(scalars.prefix { $0 != " " })
    }
}

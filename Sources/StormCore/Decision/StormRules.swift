/// The storm policy as code, top to bottom in the order README tells it:
///
/// 1. ordinary mail and direct replies pass (a small audience, no sign of a program);
/// 2. exemptions (senders, SASL users, client networks, threads) are never stopped;
/// 3. a new message to a large audience starts a thread; the first-send guard may hold it;
/// 4. a reply to a small audience passes, unless it is an automatic one into a large thread;
/// 5. a reply-all is judged in its thread: automatic replies, a block in force, the hard gate,
///    the delivery budget, then the storm window, whose trip point starts a block;
/// 6. the rule that fired gets its configured action (`RuleActions.swift`).
///
/// The rules read and change thread state only through `ThreadStore`, never its storage.
struct StormRules: Sendable {
    let policy: StormPolicy
    /// The tables, for a trim's target (never a list).
    let directory: AudienceDirectory
    /// `exempt_threads` as keys: root Message-IDs, or 16-hex-digit thread keys.
    let exemptThreads: Set<MessageKey>

    init(policy: StormPolicy, directory: AudienceDirectory) {
        self.policy = policy
        self.directory = directory
        var keys = Set<MessageKey>()
        for t in policy.exemptions.threads {
            let name = ThreadName(t)
            if let hex = name.hexKey { keys.insert(hex) }
            keys.insert(name.messageKey)
        }
        exemptThreads = keys
    }

    /// Judges one complete message whose audience is known.
    ///
    /// Ordered so that ordinary mail, the bulk of traffic, costs only its audience: ids, subjects
    /// and the sender are read only once the audience (or an automatic-reply header) says they
    /// can matter.
    func judge(_ facts: MessageFacts, audience: AudienceCount, store: some ThreadStore, now: Instant) -> Verdict {
        let h = facts.headers
        let large = audience.count >= policy.replyAllThreshold
        let guarded = policy.firstSendGuard.map { audience.count >= $0 } ?? false
        let automatic = policy.stopAutoReplies && audience.count >= policy.autoReplyMinAudience
            && MessageKind.isAutomatic(h, policy: policy)

        // 1. Ordinary mail, and direct replies: they always pass.
        guard large || guarded || automatic else {
            let hasParent = h.inReplyTo != nil || h.references != nil
            return pass(hasParent ? .directReply : .ordinary, audience: audience)
        }
        let ties = ThreadTies(h)

        // 2. Exemptions.
        let sender = (try? AddressParser.envelope(facts.sender).get())?.address
        let exempt = isExempt(sender: sender, facts: facts)

        // 3. A new message: to a large audience it starts a thread, which the first-send guard may hold.
        guard ties.isReply else {
            guard large || guarded else { return pass(.ordinary, audience: audience) }
            let base = ThreadTies.subjectBase(h)
            let a = Announcement(key: MessageKey(ThreadTies.ownRootID(h, subjectBase: base)), subjectHash: ThreadTies.subjectHash(base),
                                 subject: base, author: sender?.key ?? "", audience: audience.count)
            let thread = store.recordAnnouncement(a, now: now)
            if thread.unavailable, !exempt { return unavailable(audience: audience) }
            if guarded, !exempt, !isApproved(sender) {
                return stopped(.firstSend, in: thread, audience: audience, facts: facts)
            }
            return act(Judgment(.announcement, thread, audience: audience), facts: facts)
        }

        // 4. A reply to a small audience is a direct reply and passes; but an automatic one to
        //    several people of a large thread (a recall, a broken auto-responder) is stopped.
        guard large else {
            if automatic, !exempt,
               let thread = store.judgeReply(parents: ties.parents, audience: audience.count, now: now, by: { t in
                   t.audience >= policy.replyAllThreshold ? .autoReply : nil
               }) {
                if thread.unavailable { return unavailable(audience: audience) }
                return stopped(.autoReply, in: thread, audience: audience, facts: facts)
            }
            return pass(.directReply, audience: audience)
        }

        // 5. A reply-all, judged in its thread.
        let base = ThreadTies.subjectBase(h)
        let rootID = ThreadTies.replyRootID(h, subjectBase: base)
        let r = ReplyAll(ownKey: h.messageID.flatMap { MessageIDParser.firstKey(in: $0) },
                         parentKeys: ties.parents, rootKey: MessageKey(rootID), rootID: rootID,
                         subjectHash: ThreadTies.subjectHash(base), subject: base, audience: audience.count,
                         senderHash: MessageKey(sender?.key ?? "").rawValue)
        var exemptHere = exempt
        var ruling = ReplyAllRuling()
        let thread = store.judgeReplyAll(r, policy: policy, now: now) { t in
            exemptHere = exempt || (!exemptThreads.isEmpty && exemptThreads.contains(t.key))
            ruling = replyAll(in: t, audience: audience.count, automatic: automatic, exempt: exemptHere, now: now)
            return ruling
        }
        if thread.unavailable {
            if !exempt { return unavailable(audience: audience) }
            return act(Judgment(.exempt, thread, audience: audience), facts: facts)
        }
        if let rule = ruling.stoppedBy, !thread.repeatedPass {
            return stopped(rule, in: thread, audience: audience, facts: facts)
        }
        return act(Judgment(exemptHere ? .exempt : .replyAllWithinLimits, thread, audience: audience), facts: facts)
    }

    /// Step 5, in the thread as it stands: what happens to one reply-all.
    func replyAll(in thread: ThreadState, audience: Int, automatic: Bool, exempt: Bool, now: Instant) -> ReplyAllRuling {
        let block = now + policy.blockDuration
        if !exempt {
            // Automatic replies never count towards a storm; they are stopped outright.
            if automatic { return ReplyAllRuling(stoppedBy: .autoReply) }
            // A block in force stops every reply-all, and may be pushed back by each one.
            if thread.isBlocked {
                return ReplyAllRuling(stoppedBy: .storm, block: policy.extendBlockWhileActive ? .extend(until: block) : nil)
            }
            // The hard gate: too large an audience for any reply-all.
            if let gate = policy.hardGate, audience >= gate { return ReplyAllRuling(stoppedBy: .hardGate) }
            // The delivery budget: this reply would cost the thread more than it may spend.
            if let budget = policy.deliveryBudget, thread.deliveriesInWindow + audience > budget {
                return ReplyAllRuling(stoppedBy: .budget, block: .trip(until: block))
            }
        }
        // The storm window: the reply passes and counts; the one that reaches the trip point
        // starts the block that stops the next.
        let trips = thread.repliesInWindow + 1 >= policy.tripReplies && !thread.isBlocked
        return ReplyAllRuling(block: trips ? .trip(until: block) : nil)
    }

    // MARK: exemptions

    func isExempt(sender: EmailAddress?, facts: MessageFacts) -> Bool {
        let e = policy.exemptions
        if e.isEmpty { return false }
        if let s = sender {
            if e.senders.contains(s.key) || e.senderDomains.contains(s.domain) { return true }
            if let base = s.withoutExtension(delimiters: policy.recipientDelimiter), e.senders.contains(base.key) {
                return true
            }
        }
        if let u = facts.saslUser?.lowercased(), !u.isEmpty,
           e.saslUsers.contains(where: { $0.lowercased() == u }) { return true }
        if let c = facts.clientAddress, e.clientNetworks.contains(where: { $0.contains(c) }) { return true }
        return false
    }

    /// True for a sender the first-send guard lets through: an approved address or domain.
    func isApproved(_ sender: EmailAddress?) -> Bool {
        guard let s = sender else { return false }
        let a = policy.approvedSenders
        return a.contains(s.key) || a.contains("@" + s.domain) || a.contains(s.domain)
    }

    // MARK: verdicts

    private func pass(_ reason: Reason, audience: AudienceCount) -> Verdict {
        var figures = Figures()
        figures.audience = audience.count
        figures.audienceIsUpperBound = audience.isUpperBound
        return finish(Verdict(action: .accept, reason: reason, figures: figures))
    }

    /// A deferral while the shared thread state is away (`shared_state_failure = tempfail`).
    private func unavailable(audience: AudienceCount) -> Verdict {
        var figures = Figures()
        figures.audience = audience.count
        figures.audienceIsUpperBound = audience.isUpperBound
        var v = Verdict(action: .defer, reason: .sharedStateUnavailable, figures: figures)
        v.smtpCode = 451
        v.enhancedCode = "4.3.0"
        v.text = "Reply-all protection is unavailable for a moment; please try again later"
        return v
    }

    private func stopped(_ rule: Rule, in thread: ThreadChange, audience: AudienceCount, facts: MessageFacts) -> Verdict {
        var j = Judgment(.stopped(rule), thread, audience: audience)
        j.figures.deliveriesPrevented = audience.count
        return act(j, facts: facts)
    }
}

/// A message's ties to a thread, read from its headers: the ids it replies to and its subject.
/// The parents are read at once; the texts (static, from the headers) only by the paths that need them.
struct ThreadTies {
    /// Ids it replies to, nearest parent first: In-Reply-To, then References from the end.
    let parents: [MessageKey]
    /// True for a reply: it names a parent, or its subject says it is a reply or a recall.
    let isReply: Bool

    init(_ h: MessageHeaders) {
        let inReplyTo = h.inReplyTo.map { MessageIDParser.keys(in: $0, limit: 8) } ?? []
        let references = h.references.map { MessageIDParser.keys(in: $0) } ?? []
        var parents = inReplyTo
        for k in references.reversed() where !parents.contains(k) { parents.append(k) }
        self.parents = parents
        let subject = h.subject ?? ""
        isReply = !parents.isEmpty || (!subject.isEmpty
            && (SubjectLine.looksLikeReply(subject) || SubjectLine.looksLikeRecall(subject)))
    }

    /// The subject without Re:/Fwd: and the like, cut to what a thread keeps.
    static func subjectBase(_ h: MessageHeaders) -> String {
        SubjectLine.base(h.subject ?? "", maxBytes: ThreadRecord.maxSubjectBytes)
    }

    /// The key of a subject base, for replies that name no parent; 0 for none.
    static func subjectHash(_ base: String) -> UInt64 {
        base.isEmpty ? 0 : MessageKey(base).rawValue
    }

    /// The root of the thread a new message starts: its own id, else its subject.
    static func ownRootID(_ h: MessageHeaders, subjectBase: String) -> String {
        h.messageID.flatMap { MessageIDParser.first(in: $0) } ?? "subject:" + subjectBase
    }

    /// A reply's root: References' first id, else In-Reply-To's, else its subject.
    static func replyRootID(_ h: MessageHeaders, subjectBase: String) -> String {
        h.references.flatMap { MessageIDParser.first(in: $0) }
            ?? h.inReplyTo.flatMap { MessageIDParser.first(in: $0) }
            ?? "subject:" + subjectBase
    }
}

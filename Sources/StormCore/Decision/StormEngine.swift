import Synchronization

/// Decides what happens to each message: the one place where audiences, threads and the
/// policy meet. Pure apart from the shared ledger: no I/O, no clock (`now` is passed in).
///
/// `decide` is safe to call from many threads at once. The policy and audience tables can be
/// swapped while it runs (`reconfigure`); each decision sees one whole configuration.
public final class StormEngine: Sendable {
    /// The shared state: threads, storms, learned sizes.
    public let ledger: ThreadLedger

    /// One whole configuration; a class so that taking it for a decision costs one retain.
    final class Configuration: Sendable {
        let policy: StormPolicy
        let directory: AudienceDirectory
        let exemptThreads: Set<MessageKey>
        init(policy: StormPolicy, directory: AudienceDirectory, exemptThreads: Set<MessageKey>) {
            self.policy = policy
            self.directory = directory
            self.exemptThreads = exemptThreads
        }
    }
    private let configuration: Mutex<Configuration>

    /// An engine over the given policy, audience tables and ledger.
    public init(policy: StormPolicy = StormPolicy(), directory: AudienceDirectory = .empty,
                ledger: ThreadLedger = ThreadLedger()) {
        self.ledger = ledger
        self.configuration = Mutex(Self.compile(policy, directory))
    }

    /// Replaces the policy and tables at once; decisions under way finish with the old ones.
    public func reconfigure(policy: StormPolicy, directory: AudienceDirectory) {
        let c = Self.compile(policy, directory)
        configuration.withLock { $0 = c }
    }

    /// The policy in force.
    public var policy: StormPolicy { configuration.withLock { $0.policy } }
    /// The audience tables in force.
    public var directory: AudienceDirectory { configuration.withLock { $0.directory } }

    private static func compile(_ p: StormPolicy, _ d: AudienceDirectory) -> Configuration {
        var keys = Set<MessageKey>()
        for t in p.exemptions.threads {
            let s = t.trimmingSpaces
            if s.utf8.count == 16, let raw = UInt64(s, radix: 16) { keys.insert(MessageKey(rawValue: raw)) }
            keys.insert(MessageKey(MessageIDParser.first(in: s) ?? s))
        }
        return Configuration(policy: p, directory: d, exemptThreads: keys)
    }

    /// Judges one complete message (envelope and headers) at time `now`.
    ///
    /// Ordered so that ordinary mail, the bulk of traffic, costs only the recipients' parse and
    /// audience lookup: ids, subjects and the sender are read only once the audience (or an
    /// automatic-reply header) says they can matter.
    public func decide(_ facts: MessageFacts, at now: Instant) -> Verdict {
        let cfg = configuration.withLock { $0 }
        let policy = cfg.policy
        let h = facts.headers

        // Envelope and audience: plain mailboxes no table knows are counted from the raw bytes;
        // anything else goes through the full parser. A recipient that does not parse still
        // costs a delivery.
        var audience: AudienceCount
        if let plain = RecipientScan.plainAudience(facts.recipients, directory: cfg.directory,
                                                   learned: ledger.learnedHashes,
                                                   delimiters: policy.recipientDelimiter) {
            audience = AudienceCount(count: plain, isUpperBound: false)
        } else {
            audience = fullAudience(facts.recipients, directory: cfg.directory)
        }
        if let minimum = policy.learnFromEnvelope, facts.recipients.count >= minimum {
            learnListSize(h, recipients: facts.recipients, directory: cfg.directory)
        }

        var figures = Figures()
        figures.audience = audience.count
        figures.audienceIsUpperBound = audience.isUpperBound
        let hasParentHeader = h.inReplyTo != nil || h.references != nil
        let large = audience.count >= policy.replyAllThreshold
        let guarded = policy.firstSendGuard.map { audience.count >= $0 } ?? false
        let automatic = policy.stopAutoReplies && audience.count >= policy.autoReplyMinAudience
            && MessageKind.isAutomatic(h, policy: policy)
        guard large || guarded || automatic else {
            let reason: Reason = hasParentHeader ? .directReply : .ordinary
            return finish(Verdict(action: .accept, reason: reason, figures: figures), policy: policy)
        }

        // Thread ties. The nearest parent is tried first: In-Reply-To, then References backwards.
        let inReplyTo = h.inReplyTo.map { MessageIDParser.keys(in: $0, limit: 8) } ?? []
        let references = h.references.map { MessageIDParser.keys(in: $0) } ?? []
        var parents = inReplyTo
        for k in references.reversed() where !parents.contains(k) { parents.append(k) }
        let subject = h.subject ?? ""
        let isReply = !parents.isEmpty || (!subject.isEmpty
            && (SubjectLine.looksLikeReply(subject) || SubjectLine.looksLikeRecall(subject)))
        let sender = (try? AddressParser.envelope(facts.sender).get())?.address
        let exempt = isExempt(sender: sender, facts: facts, policy: policy)

        guard isReply else {
            guard large || guarded else {
                return finish(Verdict(action: .accept, reason: .ordinary, figures: figures), policy: policy)
            }
            let subjectBase = SubjectLine.base(subject, maxBytes: ThreadRecord.maxSubjectBytes)
            let ownID = h.messageID.flatMap { MessageIDParser.first(in: $0) }
            let rootID = ownID ?? "subject:" + subjectBase
            let a = AnnouncementFacts(key: MessageKey(rootID), rootID: rootID,
                                      subjectHash: Self.subjectHash(subjectBase), subject: subjectBase,
                                      author: sender?.key ?? "", audience: audience.count)
            var j = ledger.state.withLock { $0.recordAnnouncement(a, now: now.seconds) }
            if guarded, !exempt, !isApproved(sender, policy: policy) {
                j.reason = .stopped(.firstSend)
                j.figures.deliveriesPrevented = audience.count
            }
            j.figures.audience = audience.count
            j.figures.audienceIsUpperBound = audience.isUpperBound
            return verdict(from: j, facts: facts, policy: policy)
        }

        guard large else {
            // A direct reply always passes, but an automatic one to several people of a large
            // thread (a recall, a broken auto-responder) is stopped.
            if automatic, !exempt,
               let j = judgeSmallAutomatic(parents: parents, audience: audience.count, policy: policy, now: now) {
                return verdict(from: j, facts: facts, policy: policy)
            }
            return finish(Verdict(action: .accept, reason: .directReply, figures: figures), policy: policy)
        }

        let subjectBase = SubjectLine.base(subject, maxBytes: ThreadRecord.maxSubjectBytes)
        let rootID = h.references.flatMap { MessageIDParser.first(in: $0) }
            ?? h.inReplyTo.flatMap { MessageIDParser.first(in: $0) }
            ?? "subject:" + subjectBase
        let ownKey = h.messageID.flatMap { MessageIDParser.firstKey(in: $0) }
        let r = ReplyAllFacts(
            ownKey: ownKey, parentKeys: parents, rootKey: MessageKey(rootID),
            rootID: rootID, subjectHash: Self.subjectHash(subjectBase), subject: subjectBase,
            audience: audience.count,
            senderHash: MessageKey(sender?.key ?? "").rawValue, isAutomatic: automatic, senderExempt: exempt)
        var j = ledger.state.withLock {
            $0.judgeReplyAll(r, policy: policy, exemptThreads: cfg.exemptThreads, now: now.seconds)
        }
        j.figures.audienceIsUpperBound = audience.isUpperBound
        return verdict(from: j, facts: facts, policy: policy)
    }

    static func subjectHash(_ base: String) -> UInt64 {
        base.isEmpty ? 0 : MessageKey(base).rawValue
    }

    /// The audience through the full address parser and the directory's union count.
    func fullAudience(_ raws: [String], directory: AudienceDirectory) -> AudienceCount {
        var recipients: [EmailAddress] = []
        recipients.reserveCapacity(raws.count)
        var unreadable = 0
        for raw in raws {
            if case .success(let e) = AddressParser.envelope(raw), let a = e.address {
                recipients.append(a)
            } else {
                unreadable += 1
            }
        }
        let learned = ledger.learnedSizes
        var audience = learned.isEmpty
            ? directory.audience(of: recipients, learned: { _ in nil })
            : directory.audience(of: recipients, learned: { learned[$0.key] })
        audience.count += unreadable
        return audience
    }

    private func judgeSmallAutomatic(parents: [MessageKey], audience: Int, policy: StormPolicy,
                                     now: Instant) -> Judgment? {
        ledger.state.withLock { st -> Judgment? in
            guard let s = st.find(parents), st.slots[Int(s)].audience >= policy.replyAllThreshold else { return nil }
            st.touch(s, now: now.seconds)
            st.slots[Int(s)].stoppedTotal &+= 1
            st.slots[Int(s)].deliveriesPrevented &+= UInt64(audience)
            var j = st.judgment(.stopped(.autoReply), slot: s, now: now.seconds)
            j.figures.audience = audience
            j.figures.deliveriesPrevented = audience
            return j
        }
    }

    /// A message that arrives already expanded (many envelope recipients) and names exactly one
    /// address in To/Cc that the tables do not know: that address is a list of at least that size.
    private func learnListSize(_ h: MessageHeaders, recipients raws: [String], directory: AudienceDirectory) {
        var named = AddressParser.headerAddresses(h.to ?? "", limit: 50)
        named += AddressParser.headerAddresses(h.cc ?? "", limit: 50)
        // Nothing named in To/Cc (undisclosed recipients): nothing to learn, and no need to
        // parse a large envelope a second time.
        guard !named.isEmpty else { return }
        let recipients = raws.compactMap { (try? AddressParser.envelope($0).get())?.address }
        let envelope = Set(recipients.lazy.map(\.key))
        let unknown = Set(named.lazy.filter { !envelope.contains($0.key) && !directory.isList($0) }.map(\.key))
        if unknown.count == 1, let list = unknown.first {
            ledger.learn(list, size: recipients.count)
        }
    }

    private func isExempt(sender: EmailAddress?, facts: MessageFacts, policy: StormPolicy) -> Bool {
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

    private func isApproved(_ sender: EmailAddress?, policy: StormPolicy) -> Bool {
        guard let s = sender else { return false }
        let a = policy.approvedSenders
        return a.contains(s.key) || a.contains("@" + s.domain) || a.contains(s.domain)
    }
}

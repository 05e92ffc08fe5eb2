import Synchronization

/// Decides what happens to each message: reads its audience, then asks the rules
/// (`StormRules`), which read and change the shared thread state. No I/O, no clock (`now` is
/// passed in).
///
/// `decide` is safe to call from many threads at once. The policy and audience tables can be
/// swapped while it runs (`reconfigure`); each decision sees one whole configuration.
public final class StormEngine: Sendable {
    /// This process's thread state: threads, storms, learned sizes. It is what the snapshot holds,
    /// and the store decisions use unless another is given.
    public let ledger: ThreadLedger
    /// Where decisions read and record thread state: `ledger`, or a store shared with other hosts.
    package let store: any ThreadStore
    /// True when `store` is `ledger`: decisions then call it directly, not through the protocol.
    private let storeIsLedger: Bool

    /// The rules in force, with their policy and tables; a class so that taking them for a
    /// decision costs one retain.
    final class Configuration: Sendable {
        let rules: StormRules
        init(_ rules: StormRules) { self.rules = rules }
    }
    private let configuration: Mutex<Configuration>

    /// An engine over the given policy, audience tables and ledger.
    public init(policy: StormPolicy = StormPolicy(), directory: AudienceDirectory = .empty,
                ledger: ThreadLedger = ThreadLedger()) {
        self.ledger = ledger
        self.store = ledger
        storeIsLedger = true
        self.configuration = Mutex(Configuration(StormRules(policy: policy, directory: directory)))
    }

    /// An engine whose decisions use `store` (thread state shared with other hosts); `ledger`
    /// stays this process's own, for the snapshot.
    package init(policy: StormPolicy, directory: AudienceDirectory, ledger: ThreadLedger, store: any ThreadStore) {
        self.ledger = ledger
        self.store = store
        storeIsLedger = (store as? ThreadLedger) === ledger
        self.configuration = Mutex(Configuration(StormRules(policy: policy, directory: directory)))
    }

    /// Replaces the policy and tables at once; decisions under way finish with the old ones.
    public func reconfigure(policy: StormPolicy, directory: AudienceDirectory) {
        let c = Configuration(StormRules(policy: policy, directory: directory))
        configuration.withLock { $0 = c }
    }

    /// The policy in force.
    public var policy: StormPolicy { configuration.withLock { $0.rules.policy } }
    /// The audience tables in force.
    public var directory: AudienceDirectory { configuration.withLock { $0.rules.directory } }

    /// Judges one complete message (envelope and headers) at time `now`.
    public func decide(_ facts: MessageFacts, at now: Instant) -> Verdict {
        // why the class and not `.rules`: its `let` is read in place; a copy of the rules would
        // retain every table and set of the policy on each decision.
        let cfg = configuration.withLock { $0 }
        return storeIsLedger ? decide(facts, at: now, rules: cfg.rules, store: ledger)
            : decide(facts, at: now, rules: cfg.rules, store: store)
    }

    private func decide(_ facts: MessageFacts, at now: Instant, rules: borrowing StormRules,
                        store: some ThreadStore) -> Verdict {
        let audience = MessageAudience.count(facts.recipients, directory: rules.directory, learned: store,
                                             delimiters: rules.policy.recipientDelimiter)
        if let minimum = rules.policy.learnFromEnvelope, facts.recipients.count >= minimum {
            MessageAudience.learnListSize(facts.headers, recipients: facts.recipients,
                                          directory: rules.directory, into: store)
        }
        return rules.judge(facts, audience: audience, store: store, now: now)
    }
}

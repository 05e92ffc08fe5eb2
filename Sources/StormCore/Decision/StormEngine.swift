import Synchronization

/// Decides what happens to each message: reads its audience, then asks the rules
/// (`StormRules`), which read and change the shared thread state. No I/O, no clock (`now` is
/// passed in).
///
/// `decide` is safe to call from many threads at once. The policy and audience tables can be
/// swapped while it runs (`reconfigure`); each decision sees one whole configuration.
public final class StormEngine: Sendable {
    /// The shared state: threads, storms, learned sizes.
    public let ledger: ThreadLedger

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
        let audience = MessageAudience.count(facts.recipients, directory: cfg.rules.directory, learned: ledger,
                                             delimiters: cfg.rules.policy.recipientDelimiter)
        if let minimum = cfg.rules.policy.learnFromEnvelope, facts.recipients.count >= minimum {
            MessageAudience.learnListSize(facts.headers, recipients: facts.recipients,
                                          directory: cfg.rules.directory, into: ledger)
        }
        return cfg.rules.judge(facts, audience: audience, store: ledger, now: now)
    }
}

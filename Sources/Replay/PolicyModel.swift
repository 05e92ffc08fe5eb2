/// A small, separate model of the storm rules, used only to write the expectations of
/// generated scenarios. It is written from the README's description of the policy, not from
/// the engine, so a scenario is an independent check of the engine (see SESSION-FORMAT.md).
///
/// The model: a reply whose audience is below the threshold passes, unless it is automatic,
/// reaches 2 or more and its thread is large (auto-reply rule). A larger reply (a reply-all)
/// first ends a block whose time is up (clearing the window), drops window entries at least
/// `window` old, then is stopped by, in order: auto-reply (automatic), storm (thread blocked),
/// hard gate (audience at or above it), budget (window deliveries plus this audience above it:
/// the thread trips). Otherwise it passes and joins the window; the `tripReplies`-th passed
/// reply-all in the window trips the thread, which blocks reply-alls for `block` seconds.
public struct PolicyModel: Sendable {
    /// The numbers the model uses.
    public struct Settings: Sendable, Equatable {
        /// Reply-all threshold.
        public var threshold = 2_500
        /// Passed reply-alls in the window that trip a storm.
        public var tripReplies = 10
        /// Window, seconds.
        public var window: Int64 = 3_600
        /// Delivery budget per window; nil = off.
        public var budget: Int? = 5_000_000
        /// Hard gate; nil = off.
        public var hardGate: Int? = 10_000
        /// Block duration, seconds.
        public var block: Int64 = 21_600

        /// The default policy as the README states it.
        public init() {}

        /// Named presets for `--expect-policy`: `default`, `no-gate`, `storm-only` (no gate, no budget).
        public static func named(_ name: String) -> Settings? {
            var s = Settings()
            switch name {
            case "default": return s
            case "no-gate":
                s.hardGate = nil
                return s
            case "storm-only":
                s.hardGate = nil
                s.budget = nil
                return s
            default: return nil
            }
        }

        /// The preset names.
        public static let names = ["default", "no-gate", "storm-only"]
    }

    /// What the model says happens to a message.
    public enum Outcome: Sendable, Equatable {
        /// Delivered unchanged.
        case accept
        /// Stopped by a rule (named as in the policy: hard-gate, storm, budget, auto-reply).
        case stop(String)

        /// The expectation a scenario writes: accept, or reject with the rule's default words.
        public var expectation: Expectation.Kind {
            switch self {
            case .accept: .accept
            case let .stop(rule): .reject(code: 550, enhancedCode: "5.7.1", text: Self.words[rule])
            }
        }

        /// A phrase from each rule's default reply text.
        static let words = ["hard-gate": "reaches too many people", "storm": "is blocked until",
                            "budget": "has used its delivery budget", "auto-reply": "Automatic reply to"]
    }

    private struct Thread {
        var audience: Int
        var window: [(at: Int64, audience: Int)] = []
        var blockedUntil: Int64 = 0
    }

    /// The settings in force.
    public let settings: Settings
    private var threads: [String: Thread] = [:]
    /// Storm trips so far: thread name and time.
    public private(set) var trips: [(thread: String, at: Int64)] = []

    /// A model with no threads yet.
    public init(_ settings: Settings) { self.settings = settings }

    /// A new message (not a reply); a large one starts a thread.
    public mutating func announce(thread: String, audience: Int) -> Outcome {
        if audience >= settings.threshold { threads[thread] = Thread(audience: audience) }
        return .accept
    }

    /// A reply into `thread` at time `at`.
    public mutating func reply(thread name: String, audience: Int, automatic: Bool, at now: Int64) -> Outcome {
        guard audience >= settings.threshold else {
            let large = threads[name].map { $0.audience >= settings.threshold } ?? false
            return automatic && audience >= 2 && large ? .stop("auto-reply") : .accept
        }
        var t = threads[name] ?? Thread(audience: audience)
        t.audience = max(t.audience, audience)
        defer { threads[name] = t }
        if t.blockedUntil != 0 && t.blockedUntil <= now {
            t.blockedUntil = 0
            t.window.removeAll()
        }
        t.window.removeAll { $0.at <= now - settings.window }
        if automatic && audience >= 2 { return .stop("auto-reply") }
        if t.blockedUntil > now { return .stop("storm") }
        if let gate = settings.hardGate, audience >= gate { return .stop("hard-gate") }
        if let budget = settings.budget, t.window.reduce(0, { $0 + $1.audience }) + audience > budget {
            t.blockedUntil = now + settings.block
            trips.append((name, now))
            return .stop("budget")
        }
        t.window.append((now, audience))
        if t.window.count >= settings.tripReplies && t.blockedUntil <= now {
            t.blockedUntil = now + settings.block
            trips.append((name, now))
        }
        return .accept
    }
}

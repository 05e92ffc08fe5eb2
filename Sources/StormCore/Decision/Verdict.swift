/// What happens to a message.
public enum Action: String, Sendable, CaseIterable {
    /// Deliver as sent.
    case accept
    /// Deliver as sent, with a header saying what would have happened (dry run).
    case tag
    /// Refuse for now: 4xx, the client retries later.
    case `defer`
    /// Refuse for good: 5xx, the client tells the sender.
    case reject
    /// Put in the MTA's hold queue (Postfix: `postsuper -H` releases it).
    case hold
    /// Deliver to the author of the thread only.
    case trim
}

/// A rule that can stop a message. Each one has its own configured action and reply text.
public enum Rule: String, Sendable, CaseIterable {
    /// A reply whose own audience is at or above the hard gate.
    case hardGate = "hard-gate"
    /// A reply-all into a thread that is blocked, or that trips the reply count.
    case storm
    /// A reply-all that would push the thread's projected deliveries past the budget.
    case budget
    /// An automatic reply (Auto-Submitted, Precedence, recall) into a large thread.
    case autoReply = "auto-reply"
    /// A new message to a large audience from a sender not on the approved list.
    case firstSend = "first-send"
}

/// Why the engine came to its verdict; on a stop, the rule that fired.
public enum Reason: Sendable, Equatable, CustomStringConvertible {
    /// Not a reply, and not to a large audience: nothing to remember.
    case ordinary
    /// A new message to a large audience: remembered as the start of a thread.
    case announcement
    /// A reply to a small audience. Always passes.
    case directReply
    /// Sender, SASL user, client network or thread is exempt.
    case exempt
    /// A reply-all that stayed within the storm limits.
    case replyAllWithinLimits
    /// A rule stopped the message.
    case stopped(Rule)
    /// The thread state shared with other hosts is unreachable and the site asked to defer
    /// (`shared_state_failure = tempfail`) the messages that need it.
    case sharedStateUnavailable

    public var description: String {
        switch self {
        case .ordinary: "ordinary"
        case .announcement: "announcement"
        case .directReply: "direct-reply"
        case .exempt: "exempt"
        case .replyAllWithinLimits: "reply-all-within-limits"
        case .stopped(let rule): rule.rawValue
        case .sharedStateUnavailable: "shared-state-unavailable"
        }
    }
}

/// One header field to add to the message.
public struct HeaderField: Sendable, Equatable {
    public var name: String
    public var value: String
    public init(name: String, value: String) { self.name = name; self.value = value }
}

/// The numbers behind a verdict, for logs, metrics and reply texts.
public struct Figures: Sendable, Equatable {
    /// Mailboxes this message reaches after expansion.
    public var audience: Int = 0
    /// True when `audience` adds list sizes whose members are unknown, so may count someone twice.
    public var audienceIsUpperBound: Bool = false
    /// The largest audience seen in the thread.
    public var threadAudience: Int = 0
    /// Reply-alls that passed in the thread's current window, this one included if it passed.
    public var repliesInWindow: Int = 0
    /// Deliveries those passed reply-alls cost (sum of their audiences).
    public var deliveriesInWindow: Int = 0
    /// Deliveries this verdict saved (the audience of a stopped message, else 0).
    public var deliveriesPrevented: Int = 0
    /// Until when the thread is blocked, if it is.
    public var blockedUntil: Instant?

    public init() {}
}

/// A change in a storm's life, reported once, with the decision that caused it.
public struct StormEvent: Sendable, Equatable {
    public enum Kind: String, Sendable { case tripped, extended, expired, released, frozen }
    public var kind: Kind
    public var thread: MessageKey
    public var subject: String
    public var at: Instant
    public var blockedUntil: Instant?
    public var repliesInWindow: Int
    public var threadAudience: Int

    public init(kind: Kind, thread: MessageKey, subject: String, at: Instant, blockedUntil: Instant?,
                repliesInWindow: Int, threadAudience: Int) {
        self.kind = kind; self.thread = thread; self.subject = subject; self.at = at
        self.blockedUntil = blockedUntil; self.repliesInWindow = repliesInWindow
        self.threadAudience = threadAudience
    }
}

/// The engine's answer for one message: what to do, why, and what to say.
public struct Verdict: Sendable, Equatable {
    public var action: Action
    public var reason: Reason
    /// SMTP reply code for defer (4xx) and reject (5xx).
    public var smtpCode: Int?
    /// Enhanced status code (`5.7.1`) for defer and reject.
    public var enhancedCode: String?
    /// Reply text for defer and reject; the hold reason for hold. Single line, no CR/LF.
    public var text: String?
    /// Headers to add (tag, and the optional seen-header on accept).
    public var headersToAdd: [HeaderField] = []
    /// Envelope recipients to remove, exactly as the MTA gave them (trim).
    public var recipientsToRemove: [String] = []
    /// Envelope recipients to add, in `<a@b>` form (trim).
    public var recipientsToAdd: [String] = []
    /// The thread the message belongs to, if it is remembered.
    public var thread: MessageKey?
    public var figures: Figures
    /// Storm events this decision caused (tripped, extended, expired).
    public var events: [StormEvent] = []

    public init(action: Action, reason: Reason, figures: Figures = Figures()) {
        self.action = action
        self.reason = reason
        self.figures = figures
    }

    /// The rule that fired, when a rule stopped the message.
    public var rule: Rule? {
        if case .stopped(let r) = reason { return r }
        return nil
    }
}

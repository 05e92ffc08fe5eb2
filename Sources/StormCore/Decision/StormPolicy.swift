/// Every knob of the storm engine, with defaults that match Exchange Online where they overlap.
///
/// Exchange Online's reply-all storm protection: a thread to >= 2,500 recipients that sees
/// >= 10 reply-alls within 60 minutes has further reply-alls blocked for 6 hours. Breakwater
/// keeps those numbers as defaults and lets every one of them move, with no recipient floor.
public struct StormPolicy: Sendable, Equatable {
    /// A reply whose own audience is at least this is a reply-all; below it, a direct reply,
    /// which always passes. Any value >= 1.
    public var replyAllThreshold: Int = 2_500
    /// The storm trips when this many reply-alls have passed in one thread within `window`.
    /// The first `tripReplies` pass; every later reply-all is stopped.
    public var tripReplies: Int = 10
    /// The window for `tripReplies` and `deliveryBudget`, in seconds.
    public var window: Int64 = 3_600
    /// Trip when the deliveries of a thread's passed reply-alls in the window (the sum of their
    /// audiences) would exceed this; nil turns the budget off. One 840 k reply costs 840 k.
    public var deliveryBudget: Int? = 5_000_000
    /// A reply whose own audience is at or above this is stopped at once, before any storm;
    /// nil turns the gate off. 10,000 is four times Exchange's thread floor.
    public var hardGate: Int? = 10_000
    /// How long a tripped storm blocks reply-alls, in seconds.
    public var blockDuration: Int64 = 6 * 3_600
    /// When true, each stopped reply-all pushes the block's end to now + `blockDuration`.
    public var extendBlockWhileActive: Bool = false
    /// When set, a blocked storm that has seen no reply-all for this many seconds ends early.
    public var quietRelease: Int64? = nil
    /// When set, a new (non-reply) message to at least this audience from a sender not in
    /// `approvedSenders` is stopped by the first-send rule (default action: hold).
    public var firstSendGuard: Int? = nil
    /// Envelope senders (`a@b`) or domains (`@b` or `b`) that may send to large audiences.
    public var approvedSenders: Set<String> = []
    /// Stop automatic replies (Auto-Submitted, Precedence, recall) into a large thread.
    public var stopAutoReplies: Bool = true
    /// An automatic reply reaching at least this many mailboxes is stopped when its thread is
    /// large. The default, 2, lets an out-of-office notice to the author alone through.
    public var autoReplyMinAudience: Int = 2
    /// Treat `X-Auto-Response-Suppress: All/OOF/AutoReply` as a sign of an automatic message.
    /// Off by default: Exchange also sets it on some messages people write.
    public var autoResponseSuppressMeansAuto: Bool = false
    /// Who and what is never stopped.
    public var exemptions: Exemptions = Exemptions()
    /// What each rule does, and what it says.
    public var actions: [Rule: RuleAction] = RuleAction.defaults
    /// Postfix recipient_delimiter characters (`+`), for table lookups and exemptions.
    public var recipientDelimiter: String = ""
    /// A message whose envelope already carries at least this many recipients teaches the
    /// engine the size of the one list its To/Cc names (expanded upstream); nil = never learn.
    public var learnFromEnvelope: Int? = 50
    /// Name of the header that tag verdicts (and the optional seen-header) add.
    public var headerName: String = "X-Breakwater"
    /// When true, every accepted message gets a header saying Breakwater saw it.
    public var addSeenHeader: Bool = false

    public init() {}

    /// The action configured for a rule (reject if none is configured).
    public func action(for rule: Rule) -> RuleAction {
        actions[rule] ?? RuleAction(action: .reject)
    }

    /// Errors a human can act on, or an empty list when the policy is usable.
    public func problems() -> [String] {
        var p: [String] = []
        if replyAllThreshold < 1 { p.append("reply-all threshold must be >= 1, got \(replyAllThreshold)") }
        if tripReplies < 1 { p.append("trip replies must be >= 1, got \(tripReplies)") }
        if window < 1 { p.append("window must be >= 1 second, got \(window)") }
        if let b = deliveryBudget, b < 1 { p.append("delivery budget must be >= 1, got \(b)") }
        if let g = hardGate, g < 1 { p.append("hard gate must be >= 1, got \(g)") }
        if blockDuration < 1 { p.append("block duration must be >= 1 second, got \(blockDuration)") }
        if let q = quietRelease, q < 1 { p.append("quiet release must be >= 1 second, got \(q)") }
        if let f = firstSendGuard, f < 1 { p.append("first-send guard must be >= 1, got \(f)") }
        if autoReplyMinAudience < 1 { p.append("auto-reply minimum audience must be >= 1") }
        if let l = learnFromEnvelope, l < 2 { p.append("learn-from-envelope must be >= 2, got \(l)") }
        for (rule, a) in actions { p += a.problems(rule: rule) }
        return p
    }
}

/// Senders, users, networks and threads that are never stopped.
public struct Exemptions: Sendable, Equatable {
    /// Envelope sender addresses, lower-case `local@domain`.
    public var senders: Set<String> = []
    /// Envelope sender domains, lower-case, without `@`.
    public var senderDomains: Set<String> = []
    /// SASL login names, as `{auth_authen}` gives them (compared case-insensitively).
    public var saslUsers: Set<String> = []
    /// Client networks.
    public var clientNetworks: [ClientNetwork] = []
    /// Thread ids: root Message-IDs without angle brackets, or 16-hex-digit thread keys.
    public var threads: Set<String> = []

    public init() {}

    /// True when nothing is exempt, so the checks can be skipped.
    public var isEmpty: Bool {
        senders.isEmpty && senderDomains.isEmpty && saslUsers.isEmpty && clientNetworks.isEmpty && threads.isEmpty
    }
}

/// What a rule does when it fires, and the words it uses.
public struct RuleAction: Sendable, Equatable {
    public var action: Action
    /// SMTP code for reject (5xx) and defer (4xx); nil = 550 / 450.
    public var code: Int?
    /// Enhanced status code; nil = 5.7.1 / 4.7.1.
    public var enhancedCode: String?
    /// Reply text (reject, defer) or hold reason, as a template: {subject} {audience}
    /// {thread_audience} {replies} {until} {thread} {rule}.
    public var text: String

    public init(action: Action, code: Int? = nil, enhancedCode: String? = nil, text: String? = nil) {
        self.action = action
        self.code = code
        self.enhancedCode = enhancedCode
        self.text = text ?? RuleAction.defaultText
    }

    /// The SMTP code this action uses, or nil when the action sends none.
    public var effectiveCode: Int? { code ?? Self.defaultCode(for: action) }

    /// The enhanced status code this action uses, or nil when the action sends none.
    public var effectiveEnhancedCode: String? {
        Self.defaultCode(for: action) == nil ? nil : enhancedCode ?? Self.defaultEnhancedCode(for: action)
    }

    /// The SMTP code an action uses when none is configured: 550 to reject, 450 to defer; nil
    /// for actions that send none.
    public static func defaultCode(for action: Action) -> Int? {
        switch action {
        case .reject: 550
        case .defer: 450
        default: nil
        }
    }

    /// The enhanced status code an action uses when none is configured: 5.7.1 or 4.7.1.
    public static func defaultEnhancedCode(for action: Action) -> String? {
        switch action {
        case .reject: "5.7.1"
        case .defer: "4.7.1"
        default: nil
        }
    }

    static let defaultText = "Reply-all to {audience} recipients stopped: thread \"{subject}\" ({rule}). Reply to the sender only."

    /// Defaults: every rule rejects, but first-send holds for a human to look at.
    public static let defaults: [Rule: RuleAction] = [
        .hardGate: RuleAction(action: .reject, text:
            "Reply-all to {audience} recipients refused: \"{subject}\" reaches too many people. Reply to the sender only."),
        .storm: RuleAction(action: .reject, text:
            "Reply-all storm: thread \"{subject}\" is blocked until {until} after {replies} replies to {thread_audience} recipients. Reply to the sender only."),
        .budget: RuleAction(action: .reject, text:
            "Reply-all storm: thread \"{subject}\" has used its delivery budget and is blocked until {until}. Reply to the sender only."),
        .autoReply: RuleAction(action: .reject, text:
            "Automatic reply to {audience} recipients of \"{subject}\" refused."),
        .firstSend: RuleAction(action: .hold, text:
            "New message to {audience} recipients held for review."),
    ]

    func problems(rule: Rule) -> [String] {
        var p: [String] = []
        if let c = code {
            switch action {
            case .reject where !(500...599).contains(c):
                p.append("\(rule.rawValue): reject needs a 5xx code, got \(c)")
            case .defer where !(400...499).contains(c):
                p.append("\(rule.rawValue): defer needs a 4xx code, got \(c)")
            default: break
            }
        }
        if let e = enhancedCode {
            let parts = e.split(separator: ".", omittingEmptySubsequences: false)
            let classDigit = action == .reject ? "5" : "4"
            if parts.count != 3 || parts.contains(where: { $0.isEmpty || !$0.allSatisfy(\.isNumber) })
                || (action == .reject || action == .defer) && parts.first.map(String.init) != classDigit {
                p.append("\(rule.rawValue): enhanced status code \"\(e)\" is not of the form \(classDigit).x.y")
            }
        }
        return p
    }
}

public import StormCore

/// The policy knobs the replay command line can turn, applied over a base policy (the
/// defaults, or later the daemon's parsed configuration). Nil leaves a knob as it is.
public struct PolicySettings: Sendable, Equatable {
    /// Reply-all threshold (audience).
    public var threshold: Int?
    /// Reply-alls that trip a storm within the window.
    public var tripReplies: Int?
    /// The window, in seconds.
    public var window: Int64?
    /// Delivery budget; `.some(nil)` turns it off.
    public var budget: Int??
    /// Hard gate; `.some(nil)` turns it off.
    public var hardGate: Int??
    /// Block duration, in seconds.
    public var block: Int64?

    /// Nothing changed.
    public init() {}

    /// `base` with these settings applied, or the problems that make the result unusable.
    public func applied(to base: StormPolicy) -> Result<StormPolicy, PolicyProblems> {
        var p = base
        if let threshold { p.replyAllThreshold = threshold }
        if let tripReplies { p.tripReplies = tripReplies }
        if let window { p.window = window }
        if let budget { p.deliveryBudget = budget }
        if let hardGate { p.hardGate = hardGate }
        if let block { p.blockDuration = block }
        let problems = p.problems()
        return problems.isEmpty ? .success(p) : .failure(PolicyProblems(problems: problems))
    }

    /// `threshold 2500, trip 10 in 1h, budget 5000000, hard gate 10000, block 6h`.
    public static func summary(_ p: StormPolicy) -> String {
        "threshold \(p.replyAllThreshold), trip \(p.tripReplies) in \(TimeText.durationText(p.window)), "
            + "budget \(p.deliveryBudget.map(String.init) ?? "off"), hard gate \(p.hardGate.map(String.init) ?? "off"), "
            + "block \(TimeText.durationText(p.blockDuration))"
    }
}

/// Why a policy cannot be used.
public struct PolicyProblems: Error, Sendable, Equatable, CustomStringConvertible {
    /// One sentence per problem.
    public var problems: [String]
    /// One problem per line.
    public var description: String { problems.joined(separator: "\n") }
}

package import StormCore

/// The policy knobs the replay command line can turn, applied over a base policy (the
/// defaults, or later the daemon's parsed configuration). Nil leaves a knob as it is.
package struct PolicySettings: Sendable, Equatable {
    /// Reply-all threshold (audience).
    package var threshold: Int?
    /// Reply-alls that trip a storm within the window.
    package var tripReplies: Int?
    /// The window, in seconds.
    package var window: Int64?
    /// Delivery budget; `.some(nil)` turns it off.
    package var budget: Int??
    /// Hard gate; `.some(nil)` turns it off.
    package var hardGate: Int??
    /// Block duration, in seconds.
    package var block: Int64?

    /// Nothing changed.
    package init() {}

    /// `base` with these settings applied, or the problems that make the result unusable.
    package func applied(to base: StormPolicy) -> Result<StormPolicy, PolicyProblems> {
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
    package static func summary(_ p: StormPolicy) -> String {
        "threshold \(p.replyAllThreshold), trip \(p.tripReplies) in \(TimeText.durationText(p.window)), "
            + "budget \(p.deliveryBudget.map(String.init) ?? "off"), hard gate \(p.hardGate.map(String.init) ?? "off"), "
            + "block \(TimeText.durationText(p.blockDuration))"
    }
}

/// Why a policy cannot be used.
package struct PolicyProblems: Error, Sendable, Equatable, CustomStringConvertible {
    /// One sentence per problem.
    package var problems: [String]
    /// One problem per line.
    package var description: String { problems.joined(separator: "\n") }
}

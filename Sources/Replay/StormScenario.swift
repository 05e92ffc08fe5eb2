/// A reply-all storm as it happens: one message to a huge list, then reply-alls from many
/// people, direct replies to the author mixed in, and automatic replies to the list.
public struct StormScenario: Sendable {
    /// Mailboxes the list reaches.
    public var audience = 840_000
    /// The list address; its domain is every address's domain.
    public var list = "all@example.org"
    /// People who reply to all (one reply-all each).
    public var repliers = 80
    /// Seconds after the original within which replies arrive (the first comes after a minute).
    public var over: Int64 = 75 * 60
    /// Share of all replies that are direct replies to the author, 0 up to (not including) 1.
    public var directMix = 0.25
    /// Automatic replies (out-of-office, recalls) sent to the whole list.
    public var autoReplies = 0
    /// Seed: the same seed gives the same file.
    public var seed: UInt64 = 1
    /// Time zero (seconds since 1970), written as the file's `start`.
    public var start: Int64?
    /// Subject of the original message.
    public var subject = "Test email"
    /// The policy whose verdicts the expectations state.
    public var expectPolicy = PolicyModel.Settings()
    /// The preset's name, for the summary.
    public var policyName = "default"
    /// Reply-alls expected as one `any-order reply-alls` pool (so many pass, so many are stopped,
    /// whichever they are) instead of message by message: for replays over several connections,
    /// where the order in which they reach the filter is the scheduler's, not the file's.
    public var anyOrder = false

    /// The defaults: the NHS morning.
    public init() {}

    /// Why these settings cannot make a scenario.
    public func problems() -> [String] {
        var p: [String] = []
        if audience < 1 || audience > 1_000_000_000 { p.append("--audience must be 1 to 1000000000") }
        if repliers < 0 || repliers > 1_000_000 { p.append("--repliers must be 0 to 1000000") }
        if autoReplies < 0 || autoReplies > 1_000_000 { p.append("--auto-replies must be 0 to 1000000") }
        if !(0..<1).contains(directMix) { p.append("--direct-mix must be at least 0 and below 1") }
        if over < 0 { p.append("--over must not be negative") }
        let parts = list.split(separator: "@", omittingEmptySubsequences: false)
        if parts.count != 2 || parts[0].isEmpty || parts[1].isEmpty || list.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" }) {
            p.append("--list must be an address such as all@example.org")
        }
        return p
    }

    /// Direct replies: `repliers × mix / (1 − mix)`, rounded, so they are `mix` of all replies.
    public var directReplies: Int { Int((Double(repliers) * directMix / (1 - directMix)).rounded()) }

    /// The scenario, with expectations from the policy model.
    public func generate() -> GeneratedScenario {
        let domain = String(list.split(separator: "@").last ?? "example.org")
        let author = "sender@\(domain)"
        var random = SeededRandom(seed: seed)
        enum Kind { case replyAll, direct, automatic }
        var events: [(at: Int64, kind: Kind, n: Int)] = []
        let first: Int64 = 60
        for (i, t) in random.times(repliers, from: first, to: over).enumerated() { events.append((t, .replyAll, i + 1)) }
        for (i, t) in random.times(directReplies, from: first, to: over).enumerated() { events.append((t, .direct, i + 1)) }
        for (i, t) in random.times(autoReplies, from: first, to: over).enumerated() { events.append((t, .automatic, i + 1)) }
        events = events.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)

        var model = PolicyModel(expectPolicy)
        var builder = ScenarioBuilder(domain: domain)
        var counts: [String: Int] = [:]
        func count(_ what: String, _ outcome: PolicyModel.Outcome) {
            switch outcome {
            case .accept: counts[what + " accepted", default: 0] += 1
            case let .stop(rule): counts[what + " stopped by " + rule, default: 0] += 1
            }
        }
        let root = "storm-root"
        _ = model.announce(thread: root, audience: audience)
        builder.add(name: "original", at: 0, from: author, to: [list],
                    headers: builder.headers(from: author, to: "<\(list)>", subject: subject, id: root),
                    expect: [.accept])
        var replyAllIDs: [String] = []
        let replyAudience = audience + 1  // the list and the author, who is not on a size table
        for e in events {
            switch e.kind {
            case .replyAll:
                let who = "replier\(padded(e.n, of: repliers))@\(domain)"
                let id = "reply-all-\(padded(e.n, of: repliers))"
                let parent = !replyAllIDs.isEmpty && random.chance(0.3)
                    ? replyAllIDs[Int(random.int(in: 0...Int64(replyAllIDs.count - 1)))] : root
                let outcome = model.reply(thread: root, audience: replyAudience, automatic: false, at: e.at)
                count("reply-alls", outcome)
                replyAllIDs.append(id)
                builder.add(name: id, at: e.at, from: who, to: [author, list],
                            headers: builder.headers(from: who, to: "<\(author)>", cc: "<\(list)>", subject: "Re: " + subject,
                                                     id: id, inReplyTo: parent,
                                                     references: parent == root ? [root] : [root, parent]),
                            expect: [anyOrder ? .anyOrder(pool: "reply-alls", outcome.expectation) : outcome.expectation])
            case .direct:
                let who = "direct\(padded(e.n, of: directReplies))@\(domain)"
                let id = "direct-\(padded(e.n, of: directReplies))"
                let outcome = model.reply(thread: root, audience: 1, automatic: false, at: e.at)
                count("direct replies", outcome)
                builder.add(name: id, at: e.at, from: who, to: [author],
                            headers: builder.headers(from: who, to: "<\(author)>", subject: "RE: " + subject, id: id,
                                                     inReplyTo: root, references: [root]),
                            expect: [outcome.expectation])
            case .automatic:
                let who = "away\(padded(e.n, of: autoReplies))@\(domain)"
                let id = "auto-\(padded(e.n, of: autoReplies))"
                let outcome = model.reply(thread: root, audience: replyAudience, automatic: true, at: e.at)
                count("automatic replies", outcome)
                builder.add(name: id, at: e.at, from: who, to: [author, list],
                            headers: builder.headers(from: who, to: "<\(author)>", cc: "<\(list)>",
                                                     subject: "Automatic reply: " + subject, id: id, inReplyTo: root,
                                                     references: [root], extra: [("Auto-Submitted", "auto-replied")]),
                            expect: [outcome.expectation])
            }
        }
        var summary = ["generated: breakwater-replay generate storm --audience \(audience) --list \(list) "
                       + "--repliers \(repliers) --over \(TimeText.durationText(over)) --direct-mix \(directMix) "
                       + "--auto-replies \(autoReplies) --seed \(seed) --subject \"\(subject)\" "
                       + (start.map { "--start \(TimeText.timestampText($0)) " } ?? "") + "--expect-policy \(policyName)" + (anyOrder ? " --any-order" : ""),
                       "expectations from the \(policyName) policy model (PolicyModel), not from the engine:",
                       "  original to \(list) (\(audience)) accepted"]
        summary += counts.keys.sorted().map { "  \(counts[$0]!) \($0)" }
        summary += model.trips.map { "  storm trips at +\(TimeText.durationText($0.at))" }
        if model.trips.isEmpty { summary.append("  no storm trips") }
        return GeneratedScenario(file: SessionFile(name: "storm", start: start, sessions: builder.sessions()),
                                 sizes: "\(list) \(audience)\n", summary: summary)
    }
}

/// Everyday traffic that must pass untouched: announcements to large lists answered only by
/// direct replies, bulk newsletters, small teams replying to all, a few reply-alls on a
/// mid-size list, out-of-office notices to one person, and person-to-person mail.
public struct NormalScenario: Sendable {
    /// Messages to write, at least.
    public var messages = 300
    /// Seconds over which threads start.
    public var over: Int64 = 8 * 3_600
    /// Domain of every address.
    public var domain = "corp.example"
    /// Seed: the same seed gives the same file.
    public var seed: UInt64 = 1
    /// Time zero, written as the file's `start`.
    public var start: Int64?
    /// The policy whose verdicts the expectations state.
    public var expectPolicy = PolicyModel.Settings()
    /// The preset's name, for the summary.
    public var policyName = "default"

    /// The defaults.
    public init() {}

    /// Why these settings cannot make a scenario.
    public func problems() -> [String] {
        var p: [String] = []
        if messages < 1 || messages > 10_000_000 { p.append("--messages must be 1 to 10000000") }
        if over < 1 { p.append("--over must be at least 1s") }
        if domain.isEmpty || domain.contains(where: { $0.isWhitespace || $0 == "@" || $0 == "<" || $0 == ">" }) {
            p.append("--domain must be a domain such as corp.example")
        }
        return p
    }

    /// The lists and their sizes: two large, one mid-size (above the threshold, below the gate),
    /// and small teams.
    var lists: [(address: String, size: Int)] {
        [("all-staff@\(domain)", 12_000), ("newsletter@\(domain)", 45_000), ("engineering@\(domain)", 3_000)]
            + (1...10).map { ("team\(padded($0, of: 10))@\(domain)", 6 + $0 * 3) }
    }

    /// The scenario, with expectations from the policy model.
    public func generate() -> GeneratedScenario {
        var random = SeededRandom(seed: seed)
        var builder = ScenarioBuilder(domain: domain)
        let sizes = lists
        enum Kind { case announcement, newsletter, team, midList, outOfOffice, personal }
        // (kind, weight in tenths): what a working day's mix looks like.
        let mix: [(Kind, Int)] = [(.announcement, 1), (.newsletter, 1), (.team, 3), (.midList, 1), (.outOfOffice, 1),
                                  (.personal, 3)]
        struct Planned { var at: Int64; var name: String; var from: String; var to: [String]; var thread: String
            var audience: Int; var isReply: Bool; var automatic: Bool; var headers: [(String, String)] }
        var plan: [Planned] = []
        var n = 0
        func person() -> String { "p\(random.int(in: 1...5_000))@\(domain)" }
        while plan.count < messages {
            n += 1
            var roll = Int(random.int(in: 0...9))
            var kind = Kind.personal
            for (k, w) in mix { if roll < w { kind = k; break }; roll -= w }
            let t0 = random.int(in: 0...over)
            let author = person()
            let root = "n\(n)"
            func reply(_ i: Int) -> Int64 { t0 + random.int(in: 60...7_200) + Int64(i) }
            switch kind {
            case .announcement, .newsletter:
                let list = kind == .announcement ? sizes[0] : sizes[1]
                let subject = kind == .announcement ? "Office move on Friday \(n)" : "Weekly news \(n)"
                let extra: [(String, String)] = kind == .newsletter ? [("Precedence", "bulk")] : []
                plan.append(Planned(at: t0, name: "\(kind)-\(n)", from: author, to: [list.address], thread: root,
                                    audience: list.size, isReply: false, automatic: false,
                                    headers: builder.headers(from: author, to: "<\(list.address)>", subject: subject,
                                                             id: root, extra: extra)))
                guard kind == .announcement else { continue }
                for i in 0..<Int(random.int(in: 0...3)) {
                    let who = person()
                    plan.append(Planned(at: reply(i), name: "direct-\(n)-\(i)", from: who, to: [author], thread: root,
                                        audience: 1, isReply: true, automatic: false,
                                        headers: builder.headers(from: who, to: "<\(author)>", subject: "Re: " + subject,
                                                                 id: "\(root)-d\(i)", inReplyTo: root, references: [root])))
                }
            case .team, .midList:
                let list = kind == .team ? sizes[3 + Int(random.int(in: 0...9))] : sizes[2]
                let subject = kind == .team ? "Sprint notes \(n)" : "Build server maintenance \(n)"
                plan.append(Planned(at: t0, name: "\(kind)-\(n)", from: author, to: [list.address], thread: root,
                                    audience: list.size, isReply: false, automatic: false,
                                    headers: builder.headers(from: author, to: "<\(list.address)>", subject: subject, id: root)))
                for i in 0..<Int(random.int(in: 1...(kind == .team ? 4 : 3))) {
                    let who = person()
                    plan.append(Planned(at: reply(i), name: "reply-all-\(n)-\(i)", from: who, to: [author, list.address],
                                        thread: root, audience: list.size + 1, isReply: true, automatic: false,
                                        headers: builder.headers(from: who, to: "<\(author)>", cc: "<\(list.address)>",
                                                                 subject: "Re: " + subject, id: "\(root)-r\(i)",
                                                                 inReplyTo: root, references: [root])))
                }
            case .outOfOffice:
                let to = person()
                plan.append(Planned(at: t0, name: "out-of-office-\(n)", from: author, to: [to], thread: root,
                                    audience: 1, isReply: true, automatic: true,
                                    headers: builder.headers(from: author, to: "<\(to)>", subject: "Out of office: Re: lunch",
                                                             id: root, inReplyTo: "elsewhere-\(n)",
                                                             extra: [("Auto-Submitted", "auto-replied")])))
            case .personal:
                let to = person()
                plan.append(Planned(at: t0, name: "personal-\(n)", from: author, to: [to], thread: root, audience: 1,
                                    isReply: false, automatic: false,
                                    headers: builder.headers(from: author, to: "<\(to)>", subject: "Lunch \(n)?", id: root)))
            }
        }
        plan = plan.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
        var model = PolicyModel(expectPolicy)
        var accepted = 0
        var stopped = 0
        for p in plan {
            let outcome = p.isReply
                ? model.reply(thread: p.thread, audience: p.audience, automatic: p.automatic, at: p.at)
                : model.announce(thread: p.thread, audience: p.audience)
            if outcome == .accept { accepted += 1 } else { stopped += 1 }
            builder.add(name: p.name, at: p.at, from: p.from, to: p.to, headers: p.headers, expect: [outcome.expectation])
        }
        let summary = ["generated: breakwater-replay generate normal --messages \(messages) --over \(TimeText.durationText(over)) "
                       + "--domain \(domain) --seed \(seed) " + (start.map { "--start \(TimeText.timestampText($0)) " } ?? "")
                       + "--expect-policy \(policyName)",
                       "expectations from the \(policyName) policy model (PolicyModel), not from the engine:",
                       "  \(accepted) accepted, \(stopped) stopped"]
        return GeneratedScenario(file: SessionFile(name: "normal", start: start, sessions: builder.sessions()),
                                 sizes: sizes.map { "\($0.address) \($0.size)\n" }.joined(), summary: summary)
    }
}

import Replay
import StormCore

/// How the cost of a decision grows: with recipients per message, and with the audience tables
/// loaded. Every case is measured against a baseline taken in the same run (1 recipient; no
/// tables), medians over `runs`. Writes one JSON object (for Tools/bench/plots/plot.py) when asked.
struct GrowthBench {
    var recipientCounts = [1, 20, 100, 1_000, 50_000]
    var tableCases: [(name: String, lists: Int, members: Int)] =
        [("no tables", 0, 0), ("10 lists of 20", 10, 20), ("1,000 lists of 20", 1_000, 20),
         ("100,000 lists of 20", 100_000, 20), ("1 list of 1.2 M", 1, 1_200_000)]
    var runs = 5
    /// Recipients decided per run in each recipients case (messages = budget / recipients, at least 20).
    var recipientBudget = 1_000_000
    var decisionsPerTableRun = 20_000

    static let domain = "growth.example"

    /// Median nanoseconds per decision over `runs`, each on a fresh engine (so every message is new).
    func timePerDecision(_ messages: [MessageFacts], directory: AudienceDirectory) -> (ns: Double, verdicts: [Action: Int]) {
        var samples: [Double] = []
        var verdicts: [Action: Int] = [:]
        let clock = Instant(seconds: 1_700_000_000)
        for r in 0..<runs {
            let engine = StormEngine(policy: StormPolicy(), directory: directory, ledger: ThreadLedger())
            let t0 = nanos()
            for m in messages {
                let v = engine.decide(m, at: clock)
                if r == 0 { verdicts[v.action, default: 0] += 1 }
            }
            samples.append(Double(nanos() - t0) / Double(messages.count))
        }
        return (median(samples), verdicts)
    }

    /// `recipients`, `tables` or nil for both.
    var only: String?

    func run(smoke: Bool) -> String {
        var json: [String] = []
        print("growth benchmark: \(runs) runs per case, medians; baselines in the same run")

        // 1. Recipients per message. Addresses no table knows (1 mailbox each), as libmilter hands them over.
        print("\ncost per decision against recipients per message (no tables hit; baseline: 1 recipient)")
        let teams = EngineBench.directory()
        let recipientCounts = only == "tables" ? [] : self.recipientCounts
        let tableCases = only == "recipients" ? [] : self.tableCases
        var base = 0.0
        var rows: [String] = []
        for n in recipientCounts {
            let count = max(20, recipientBudget / n)
            var messages: [MessageFacts] = []
            messages.reserveCapacity(count)
            for k in 0..<count {
                var h = MessageHeaders()
                h.record(name: "Message-ID", value: "<g\(n).\(k)@mail.\(Self.domain)>")
                h.record(name: "From", value: "<author\(k)@\(Self.domain)>")
                h.record(name: "To", value: "undisclosed-recipients:;")
                h.record(name: "Subject", value: "Growth \(n) \(k)")
                let rcpts = (0..<n).map { "<p\($0 &* 7 &+ k)@\(Self.domain)>" }
                messages.append(MessageFacts(sender: "<author\(k)@\(Self.domain)>", recipients: rcpts, headers: h))
            }
            let (ns, verdicts) = timePerDecision(messages, directory: teams)
            if n == recipientCounts[0] { base = ns }
            let v = verdicts.keys.map(\.rawValue).sorted().map { "\($0) \(verdicts[.init(rawValue: $0)!]!)" }.joined(separator: ", ")
            print("  \(pad(fmt(Double(n)), 7)) recipients: \(pad(fmt(ns / 1_000, 2), 9)) µs/decision, "
                  + "\(pad(fmt(ns / Double(n), 1), 7)) ns/recipient, x\(fmt(ns / base, 1)) the 1-recipient case  (\(count) messages; \(v))")
            rows.append("{\"recipients\": \(n), \"nsPerDecision\": \(fmt1(ns)), \"nsPerRecipient\": \(fmt1(ns / Double(n))), \"ratioToBaseline\": \(fmt1(ns / base))}")
        }
        json.append("\"recipients\": [\(rows.joined(separator: ", "))]")

        // 2. Audience tables: load time, resident growth, and a decision on a message to one list + 1 person.
        print("\naudience tables: load time, resident growth (after malloc_trim), per-decision time (baseline: no tables)")
        rows = []
        var kept: [AudienceDirectory] = []
        var baseDecision = 0.0
        for c in tableCases {
            var text = ""
            if c.lists > 0 {
                text.reserveCapacity(c.lists * c.members * 24)
                for l in 0..<c.lists {
                    text += "team\(l)@\(Self.domain) "
                    for m in 0..<c.members {
                        if m > 0 { text += ", " }
                        text += "m\(l &* c.members &+ m)@\(Self.domain)"
                    }
                    text += "\n"
                }
            }
            let rss0 = trimmedResidentBytes()
            var loads: [Double] = []
            var directory = AudienceDirectory.empty
            for r in 0..<(smoke ? 1 : 3) {
                let t0 = nanos()
                let (d, problems) = AudienceDirectory.load([.virtualAliasesText(name: "virtual", text: text)])
                loads.append(Double(nanos() - t0) / 1e9)
                precondition(problems.isEmpty, "\(problems.prefix(3))")
                if r == 0 { directory = d; kept.append(d) }
            }
            let rss = trimmedResidentBytes() - rss0
            var rng = SeededRandom(seed: 11)
            var messages: [MessageFacts] = []
            for k in 0..<decisionsPerTableRun {
                var h = MessageHeaders()
                h.record(name: "Message-ID", value: "<t\(k)@mail.\(Self.domain)>")
                h.record(name: "From", value: "<author\(k)@\(Self.domain)>")
                h.record(name: "Subject", value: "Team news \(k)")
                let list = c.lists > 0 ? "<team\(rng.below(c.lists))@\(Self.domain)>" : "<team0@\(Self.domain)>"
                h.record(name: "To", value: list)
                messages.append(MessageFacts(sender: "<author\(k)@\(Self.domain)>", recipients: [list, "<boss@\(Self.domain)>"], headers: h))
            }
            let (ns, verdicts) = timePerDecision(messages, directory: directory)
            if c.lists == 0 { baseDecision = ns }
            let audience = c.lists > 0 ? c.members + 1 : 2
            let v = verdicts.keys.map(\.rawValue).sorted().map { "\($0) \(verdicts[.init(rawValue: $0)!]!)" }.joined(separator: ", ")
            print("  \(pad(c.name, 20)): load \(pad(fmt(median(loads) * 1_000, 1), 8)) ms, resident +\(pad(fmt(Double(rss) / 1_048_576, 1), 6)) MiB"
                  + " (\(fmt(c.lists * c.members > 0 ? Double(rss) / Double(c.lists * c.members) : 0, 0)) B/member), "
                  + "decision \(fmt(ns / 1_000, 2)) µs = x\(fmt(ns / baseDecision, 2)) no tables  (audience \(audience); \(v))")
            rows.append("{\"case\": \"\(c.name)\", \"lists\": \(c.lists), \"members\": \(c.lists * c.members), "
                        + "\"loadSeconds\": \(median(loads)), \"residentBytes\": \(rss), \"nsPerDecision\": \(fmt1(ns)), "
                        + "\"ratioToBaseline\": \(fmt1(ns / baseDecision))}")
        }
        precondition(kept.count == tableCases.count)
        _ = kept
        json.append("\"tables\": [\(rows.joined(separator: ", "))]")
        return "{" + json.joined(separator: ", ") + "}\n"
    }

    func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
    func fmt1(_ x: Double) -> String { cformat("%.3f", x) }
}

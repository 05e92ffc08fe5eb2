import Dispatch
import Synchronization
import Replay
import StormCore

/// Decisions per second with a large ledger, latency per decision, bytes per tracked message,
/// and the same-run baseline: a mutex-guarded dictionary lookup per message, the least any
/// filter with shared thread state must do.
struct EngineBench {
    var tracked = 1_000_000
    var decisions = 2_000_000
    var runs = 5

    static let domain = "bench.example"

    /// Audience tables: 1,000 lists of 3,000 to 50,000 (size file) and 100 teams of 20 (virtual).
    static func directory() -> AudienceDirectory {
        var sizes = ""
        for i in 0..<1_000 { sizes += "list\(i)@\(domain) \(3_000 + i * 47)\n" }
        var virtual = ""
        for t in 0..<100 {
            virtual += "team\(t)@\(domain) " + (0..<20).map { "u\(t * 20 + $0)@\(domain)" }.joined(separator: ", ") + "\n"
        }
        let (d, problems) = AudienceDirectory.load([.sizesText(name: "sizes", text: sizes),
                                                    .virtualAliasesText(name: "virtual", text: virtual)])
        precondition(problems.isEmpty, "\(problems)")
        return d
    }

    static func rootID(_ i: Int) -> String { "CAH\(i)x7Kq+PzL9mWd3VbN0sY=\(i &* 2654435761 % 1_000_003)@mail.\(domain)" }

    static func announcement(_ i: Int) -> MessageFacts {
        var h = MessageHeaders()
        h.record(name: "Message-ID", value: "<\(rootID(i))>")
        h.record(name: "From", value: "Sender \(i) <sender\(i)@\(domain)>")
        h.record(name: "To", value: "list\(i % 1_000)@\(domain)")
        h.record(name: "Subject", value: "Quarterly update number \(i)")
        return MessageFacts(sender: "<sender\(i)@\(domain)>", recipients: ["<list\(i % 1_000)@\(domain)>"], headers: h)
    }

    /// The decision mix: 70 % ordinary mail, 20 % direct replies and 10 % reply-alls into tracked threads.
    static func workload(count: Int, tracked: Int, seed: UInt64) -> [MessageFacts] {
        var rng = SeededRandom(seed: seed)
        var out: [MessageFacts] = []
        out.reserveCapacity(count)
        for n in 0..<count {
            var h = MessageHeaders()
            let kind = rng.below(10)
            let me = "user\(rng.below(50_000))@\(domain)"
            h.record(name: "Message-ID", value: "<w\(seed).\(n).\(rng.next() % 1_000_000)@mail.\(domain)>")
            h.record(name: "From", value: me)
            if kind < 7 {
                let rcpts = (0..<(1 + rng.below(5))).map { _ in "<user\(rng.below(50_000))@\(domain)>" }
                h.record(name: "To", value: rcpts.joined(separator: ", "))
                h.record(name: "Subject", value: "Lunch on \(rng.below(30)) November")
                out.append(MessageFacts(sender: "<\(me)>", recipients: rcpts, headers: h))
            } else {
                let t = rng.below(tracked)
                h.record(name: "In-Reply-To", value: "<\(rootID(t))>")
                h.record(name: "References", value: "<\(rootID(t))>")
                h.record(name: "Subject", value: "Re: Quarterly update number \(t)")
                let rcpts = kind < 9 ? ["<sender\(t)@\(domain)>"] : ["<sender\(t)@\(domain)>", "<list\(t % 1_000)@\(domain)>"]
                out.append(MessageFacts(sender: "<\(me)>", recipients: rcpts, headers: h))
            }
        }
        return out
    }

    func run(smoke: Bool) {
        print("engine benchmark: \(fmt(Double(tracked))) threads tracked, \(fmt(Double(decisions))) decisions a run, \(runs) runs")
        let directory = Self.directory()
        let engine = StormEngine(policy: StormPolicy(), directory: directory,
                                 ledger: ThreadLedger(limits: LedgerLimits(maxThreads: tracked)))
        var clock = Instant(seconds: 1_700_000_000)

        // Memory per tracked message: resident growth while the ledger fills.
        let rss0 = residentBytes()
        for i in 0..<tracked {
            _ = engine.decide(Self.announcement(i), at: clock)
            if i % 1_000 == 0 { clock = clock + 1 }
        }
        let rss1 = residentBytes()
        let tracked = engine.ledger.threadCount
        print("ledger: \(fmt(Double(tracked))) threads, \(fmt(Double(engine.ledger.indexedMessages))) ids indexed")
        print("memory: \(fmt(Double(rss1 - rss0) / Double(tracked), 1)) B resident per tracked message (RSS growth while filling)")

        let work = Self.workload(count: min(decisions, 200_000), tracked: tracked, seed: 7)
        // Baseline: what any shared-state filter pays at least — hash the id, look it up under a lock.
        let table = Mutex<[UInt64: UInt32]>([:])
        table.withLock { t in for i in 0..<tracked { t[MessageKey("<\(Self.rootID(i))>").rawValue] = UInt32(i) } }
        var baseRates: [Double] = [], engineRates: [Double] = [], twoCoreRates: [Double] = []
        var latencies: [UInt64] = []
        for r in 0..<runs {
            var hits = 0
            let b0 = nanos()
            for n in 0..<decisions {
                let f = work[n % work.count]
                let id = f.headers.inReplyTo ?? f.headers.messageID ?? ""
                if table.withLock({ $0[MessageKey(id).rawValue] }) != nil { hits += 1 }
            }
            let b1 = nanos()
            baseRates.append(Double(decisions) / (Double(b1 - b0) / 1e9))
            precondition(hits > 0)

            let e0 = nanos()
            for n in 0..<decisions { _ = engine.decide(work[n % work.count], at: clock) }
            let e1 = nanos()
            engineRates.append(Double(decisions) / (Double(e1 - e0) / 1e9))
            clock = clock + 1

            // Two cores: two threads share the work and the ledger.
            let half = decisions / 2
            let at = clock
            let t0 = nanos()
            DispatchQueue.concurrentPerform(iterations: 2) { k in
                for n in 0..<half { _ = engine.decide(work[(n * 2 + k) % work.count], at: at) }
            }
            let t1 = nanos()
            twoCoreRates.append(Double(half * 2) / (Double(t1 - t0) / 1e9))

            if r == runs / 2 {
                // Per-decision latency, in a separate pass (the clock reads cost ~20 ns each).
                latencies.reserveCapacity(work.count)
                for f in work {
                    let a = nanos()
                    _ = engine.decide(f, at: clock)
                    latencies.append(nanos() - a)
                }
            }
        }
        latencies.sort()
        let base = median(baseRates), one = median(engineRates), two = median(twoCoreRates)
        print("baseline (mutex + dictionary lookup): \(fmt(base)) /s median")
        print("engine, one core:  \(fmt(one)) decisions/s median (runs: \(engineRates.map { fmt($0) }.joined(separator: " ")))")
        print("engine, two cores: \(fmt(two)) decisions/s median (runs: \(twoCoreRates.map { fmt($0) }.joined(separator: " ")))")
        print("ratio engine/baseline (one core): \(fmt(one / base, 3))")
        print("latency per decision: p50 \(fmt(Double(percentile(latencies, 0.5)) / 1000, 2)) µs, p99 \(fmt(Double(percentile(latencies, 0.99)) / 1000, 2)) µs, p99.9 \(fmt(Double(percentile(latencies, 0.999)) / 1000, 2)) µs")
        let t = engine.ledger.totals(now: clock)
        print("storms active after the runs: \(t.activeStorms); deliveries prevented: \(fmt(Double(t.deliveriesPrevented)))")
        if smoke { precondition(one > 0 && two > 0 && t.threads > 0, "smoke run measured nothing") }
    }
}

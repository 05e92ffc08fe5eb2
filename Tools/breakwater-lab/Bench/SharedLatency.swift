import Glibc
import SharedState
import StormCore

/// The latency a shared store adds to a decision: the same messages decided by an engine on
/// the in-memory ledger and by engines on `SharedThreadStore` over a private redis-server (TCP
/// loopback, unix socket), alternating within each run, the order rotating; per decision kind,
/// each run's p50 and p99, then their medians over the runs. The server's own share comes from
/// `INFO commandstats` (script runs per decision, microseconds per run).
struct SharedLatency {
    /// Fresh threads a run (each: its announcement, then 30 reply-alls: 10 pass, 20 stopped).
    var threadsPerRun = 1_000
    var ordinaryPerRun = 10_000
    var runs = 5
    var timeout: Duration = .seconds(1)

    enum Backend: String, CaseIterable { case memory, tcp = "redis tcp", unix = "redis unix" }
    enum Kind: String, CaseIterable { case announcement, passed = "reply-all, passed", stopped = "reply-all, stopped", ordinary = "ordinary mail" }

    /// One run of one backend: per kind, its p50 and p99 (ns), the deciding thread's CPU per
    /// decision (ns), script runs per decision and server µs per script run (0 in memory).
    struct Run {
        var p50: [Kind: Double] = [:], p99: [Kind: Double] = [:], cpu: [Kind: Double] = [:]
        var scriptsPerDecision: [Kind: Double] = [:], serverMicrosPerScript: [Kind: Double] = [:]
    }

    func run(_ redis: LabRedis) {
        let admin = redis.admin()
        _ = LabRedis.ask(admin, ["FLUSHALL"])
        let tcp = SharedMail.store(redis.tcp, prefix: "lab-tcp:", timeout: timeout, maxThreads: 1_000_000)
        let unix = SharedMail.store(redis.unix, prefix: "lab-unix:", timeout: timeout, maxThreads: 1_000_000)
        let engines: [Backend: StormEngine] = [
            .memory: StormEngine(policy: SharedMail.policy, directory: SharedMail.directory, ledger: ThreadLedger()),
            .tcp: SharedMail.engine(tcp), .unix: SharedMail.engine(unix),
        ]
        print("latency: \(runs) runs; a run decides, on each backend, \(fmt(Double(threadsPerRun))) announcements, "
              + "\(fmt(Double(threadsPerRun * SharedMemory.stormReplies))) reply-alls (10 a thread pass, 20 stopped), "
              + "\(fmt(Double(ordinaryPerRun))) ordinary messages; timeout \(timeout)")
        // Untimed: connections made, scripts loaded, code paths warm.
        for b in Backend.allCases { _ = measure(engines[b]!, base: 90_000_000, threads: 50, ordinary: 500, admin: nil) }

        var results: [Backend: [Run]] = [:]
        for r in 0..<runs {
            let order = Backend.allCases.rotated(by: r)
            for b in order {
                // Distinct threads each run; the same ones on every backend (their state is apart).
                let one = measure(engines[b]!, base: 10_000_000 + r * threadsPerRun, threads: threadsPerRun,
                                  ordinary: ordinaryPerRun, admin: b == .memory ? nil : admin)
                results[b, default: []].append(one)
                print("  run \(r + 1) \(b.rawValue.padded(10)) p50/p99 µs: "
                      + Kind.allCases.map { "\($0.rawValue) \(us(one.p50[$0]!))/\(us(one.p99[$0]!))" }.joined(separator: ", "))
            }
        }
        for s in [tcp, unix] where s.callCounts.local > 0 {
            fail("\(s.callCounts.local) decisions were answered locally (the server was slower than \(timeout)): rerun")
        }
        report(results)
    }

    private func report(_ results: [Backend: [Run]]) {
        func med(_ b: Backend, _ f: (Run) -> Double) -> Double { median(results[b]!.map(f)) }
        /// Median over the runs of (shared - memory) in the same run.
        func added(_ b: Backend, _ f: (Run) -> Double) -> Double {
            median(zip(results[b]!, results[.memory]!).map { f($0) - f($1) })
        }
        print("latency per decision, µs: median over \(runs) runs of each run's p50 / p99; added = shared - memory, same run")
        print("  " + "decision".padded(20) + "memory".padded(16, left: true) + "redis tcp".padded(16, left: true) + "added".padded(16, left: true)
              + "redis unix".padded(16, left: true) + "added".padded(16, left: true))
        for k in Kind.allCases {
            var line = "  " + k.rawValue.padded(20) + pair(med(.memory) { $0.p50[k]! }, med(.memory) { $0.p99[k]! })
            for b in [Backend.tcp, .unix] {
                line += pair(med(b) { $0.p50[k]! }, med(b) { $0.p99[k]! }) + pair(added(b) { $0.p50[k]! }, added(b) { $0.p99[k]! })
            }
            print(line)
        }
        print("CPU of the deciding thread, µs per decision (medians over the runs; the wait for the server is not CPU):")
        for b in Backend.allCases {
            print("  \(b.rawValue.padded(10)) " + Kind.allCases.map { k in "\(k.rawValue): \(us(med(b) { $0.cpu[k]! }))" }.joined(separator: "; "))
        }
        print("server side (INFO commandstats), medians over the runs:")
        for b in [Backend.tcp, .unix] {
            print("  \(b.rawValue.padded(10)) " + Kind.allCases.map { k in
                "\(k.rawValue): \(fmt(med(b) { $0.scriptsPerDecision[k]! }, 2)) script runs, \(fmt(med(b) { $0.serverMicrosPerScript[k]! }, 1)) µs each"
            }.joined(separator: "; "))
        }
    }

    private func pair(_ p50: Double, _ p99: Double) -> String { "\(us(p50)) / \(us(p99))".padded(16, left: true) }
    private func us(_ ns: Double) -> String { fmt(ns / 1_000, ns < 10_000 ? 2 : 1) }

    /// Decides, timing each: `threads` announcements (threads `base...`), 30 reply-alls into
    /// each (round-robin over the threads), `ordinary` ordinary messages; checks every verdict.
    private func measure(_ engine: StormEngine, base: Int, threads: Int, ordinary: Int, admin: RedisConnection?) -> Run {
        var run = Run()
        var times: [Kind: [UInt64]] = [:]
        var scripts: [Kind: (calls: Int64, usec: Int64)] = [:]
        var cpu: [Kind: UInt64] = [:]
        func phase(_ kind: Kind, _ body: () -> Void) {
            let before = admin.map(Self.scriptStats)
            let c0 = threadCPU()
            body()
            cpu[kind] = threadCPU() - c0
            if let admin, let before {
                let after = Self.scriptStats(admin)
                scripts[kind] = (after.calls - before.calls, after.usec - before.usec)
            }
        }
        phase(.announcement) {
            for t in base..<(base + threads) {
                let a = nanos()
                let v = engine.decide(EngineBench.announcement(t), at: SharedMail.clock)
                times[.announcement, default: []].append(nanos() - a)
                if v.reason != .announcement { fail("thread \(t): the announcement was judged \(v.reason)") }
            }
        }
        var passed: [UInt64] = [], stopped: [UInt64] = []
        let replies = { (range: Range<Int>, into: inout [UInt64]) in
            for j in range {
                for t in base..<(base + threads) {
                    let a = nanos()
                    let v = engine.decide(SharedMail.replyAll(t, j), at: SharedMail.clock + 1)
                    into.append(nanos() - a)
                    let ok = j < 10 ? v.rule == nil && v.action == .accept : v.rule == .storm
                    if !ok { fail("thread \(t): reply-all \(j + 1) was \(v.action) (\(v.reason))") }
                }
            }
        }
        phase(.passed) { replies(0..<10, &passed) }
        phase(.stopped) { replies(10..<SharedMemory.stormReplies, &stopped) }
        times[.passed] = passed
        times[.stopped] = stopped
        phase(.ordinary) {
            for n in 0..<ordinary {
                let a = nanos()
                let v = engine.decide(SharedMail.ordinary(base + n), at: SharedMail.clock + 2)
                times[.ordinary, default: []].append(nanos() - a)
                if v.reason != .ordinary { fail("ordinary message \(n) was judged \(v.reason)") }
            }
        }
        for k in Kind.allCases {
            let sorted = times[k]!.sorted()
            run.p50[k] = Double(percentile(sorted, 0.5))
            run.p99[k] = Double(percentile(sorted, 0.99))
            run.cpu[k] = Double(cpu[k]!) / Double(sorted.count)
            let s = scripts[k] ?? (0, 0)
            run.scriptsPerDecision[k] = Double(s.calls) / Double(sorted.count)
            run.serverMicrosPerScript[k] = s.calls == 0 ? 0 : Double(s.usec) / Double(s.calls)
        }
        return run
    }

    /// EVALSHA runs and their server microseconds so far (`INFO commandstats`).
    static func scriptStats(_ admin: RedisConnection) -> (calls: Int64, usec: Int64) {
        let line = LabRedis.info(admin, "commandstats", "cmdstat_evalsha")
        var calls: Int64 = 0, usec: Int64 = 0
        for part in line.split(separator: ",") {
            let kv = part.split(separator: "=")
            guard kv.count == 2 else { continue }
            if kv[0] == "calls" { calls = Int64(kv[1]) ?? 0 }
            if kv[0] == "usec" { usec = Int64(kv[1]) ?? 0 }
        }
        return (calls, usec)
    }
}

extension Array {
    func rotated(by n: Int) -> [Element] {
        guard !isEmpty else { return self }
        let k = n % count
        return Array(self[k...] + self[..<k])
    }
}

/// CPU time of the calling thread, in nanoseconds.
func threadCPU() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

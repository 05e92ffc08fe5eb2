import Glibc
import StormCore

/// The in-process benchmarks that BENCHMARKS.md reports (no daemon; StormCore in this process):
///   breakwater-lab engine       [--tracked N] [--decisions N] [--runs N] [--smoke]
///   breakwater-lab growth       [--runs N] [--json PATH] [--only recipients|tables] [--smoke]
///   breakwater-lab prefill      --snapshot PATH --sizes PATH [--threads N] [--smoke]
///   breakwater-lab loadfile     --out PATH [--sessions N] [--messages N] [--tracked N] [--seed N] [--recipients N]
///                               [--ordinary-only]
///   breakwater-lab ledger-flood [--ids N] [--cap N] [--smoke]
/// And against a private redis-server they start (`--redis-server PATH`, default Debian's):
///   breakwater-lab shared         [--only memory|latency] [--threads N] [--storm-threads N] [--per-run N]
///                                 [--runs N] [--timeout-ms N] [--smoke]
///   breakwater-lab shared-prefill --redis ADDRESS --threads N [--prefix P] [--workers N] [--reachable]   (a server of yours)
enum BenchCommands {
    static let names = ["engine", "growth", "prefill", "loadfile", "ledger-flood", "shared", "shared-prefill"]

    /// Runs subcommand `what`; returns only when it succeeded (failures exit on the spot).
    static func run(_ what: String, _ options: LabOptions) {
        let smoke = options.flag("--smoke")
        switch what {
        case "engine":
            var b = EngineBench()
            b.tracked = options.int("--tracked", smoke ? 20_000 : 1_000_000)
            b.decisions = options.int("--decisions", smoke ? 20_000 : 2_000_000)
            b.runs = options.int("--runs", smoke ? 1 : 5)
            b.run(smoke: smoke)
        case "growth":
            var b = GrowthBench()
            b.runs = options.int("--runs", smoke ? 1 : 5)
            if smoke {
                b.recipientCounts = [1, 20, 100]
                b.recipientBudget = 20_000
                b.decisionsPerTableRun = 500
                b.tableCases = [("no tables", 0, 0), ("10 lists of 20", 10, 20), ("1 list of 20,000", 1, 20_000)]
            }
            b.only = options.text("--only")
            let json = b.run(smoke: smoke)
            if let path = options.text("--json") { Prefill.writeFile(path, Array(json.utf8)) }
        case "prefill":
            guard let snapshot = options.text("--snapshot"), let sizes = options.text("--sizes") else {
                fail("prefill needs --snapshot PATH --sizes PATH")
            }
            Prefill.writeSnapshot(threads: options.int("--threads", smoke ? 2_000 : 1_000_000), snapshotPath: snapshot,
                                  sizesPath: sizes, now: Instant(seconds: Int64(time(nil))))
        case "loadfile":
            guard let out = options.text("--out") else { fail("loadfile needs --out PATH") }
            let s = Prefill.sessionText(sessions: options.int("--sessions", 16), messages: options.int("--messages", 100),
                                        tracked: options.int("--tracked", 1_000_000), seed: UInt64(options.int("--seed", 1)),
                                        recipients: options.int("--recipients", 20), ordinaryOnly: options.flag("--ordinary-only"))
            Prefill.writeFile(out, Array(s.utf8))
        case "shared":
            let redis = LabRedis(server: options.text("--redis-server") ?? "/usr/bin/redis-server")
            defer { redis.stop() }
            print("shared state: redis-server \(LabRedis.info(redis.admin(), "server", "redis_version")) on 127.0.0.1:\(redis.port) and \(redis.socketPath)")
            let only = options.text("--only")
            if only != "latency" {
                var m = SharedMemory()
                m.threads = options.int("--threads", smoke ? 2_000 : 100_000)
                m.stormThreads = options.int("--storm-threads", smoke ? 200 : 10_000)
                m.run(redis)
            }
            if only != "memory" {
                var l = SharedLatency()
                l.threadsPerRun = options.int("--per-run", smoke ? 50 : 1_000)
                l.ordinaryPerRun = smoke ? 500 : 10_000
                l.runs = options.int("--runs", smoke ? 1 : 5)
                l.timeout = .milliseconds(options.int("--timeout-ms", 1_000))
                l.run(redis)
            }
        case "shared-prefill":
            SharedMail.prefill(options)
        case "ledger-flood":
            FloodCommand.run(ids: options.int("--ids", smoke ? 200_000 : 10_000_000), cap: options.int("--cap", smoke ? 2_000 : 200_000))
        default:
            fail("unknown benchmark \(what)")
        }
    }
}

/// Says what went wrong on stderr and exits 1.
func fail(_ message: String) -> Never {
    LabOutput.error(message)
    exit(1)
}

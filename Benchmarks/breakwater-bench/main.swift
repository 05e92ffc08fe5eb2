// breakwater-bench: reruns the benchmarks that BENCHMARKS.md reports.
//   breakwater-bench engine   [--tracked N] [--decisions N] [--runs N] [--smoke]
//   breakwater-bench growth   [--runs N] [--json PATH] [--only recipients|tables] [--smoke]
//   breakwater-bench prefill  --snapshot PATH --sizes PATH [--threads N]
//   breakwater-bench loadfile --out PATH [--sessions N] [--messages N] [--tracked N] [--seed N] [--recipients N]
import Glibc
import StormCore

let args = Array(CommandLine.arguments.dropFirst())
let what = args.first ?? "engine"
func option(_ name: String, _ def: Int) -> Int {
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) else { return def }
    return v
}
func text(_ name: String) -> String? {
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    return args[i + 1]
}
let smoke = args.contains("--smoke")
switch what {
case "engine":
    var b = EngineBench()
    b.tracked = option("--tracked", smoke ? 20_000 : 1_000_000)
    b.decisions = option("--decisions", smoke ? 20_000 : 2_000_000)
    b.runs = option("--runs", smoke ? 1 : 5)
    b.run(smoke: smoke)
case "growth":
    var b = GrowthBench()
    b.runs = option("--runs", smoke ? 1 : 5)
    if smoke {
        b.recipientCounts = [1, 20, 100]
        b.recipientBudget = 20_000
        b.decisionsPerTableRun = 500
        b.tableCases = [("no tables", 0, 0), ("10 lists of 20", 10, 20), ("1 list of 20,000", 1, 20_000)]
    }
    b.only = text("--only")
    let json = b.run(smoke: smoke)
    if let path = text("--json") { Prefill.writeFile(path, Array(json.utf8)) }
case "prefill":
    guard let snapshot = text("--snapshot"), let sizes = text("--sizes") else { fail("prefill needs --snapshot PATH --sizes PATH") }
    Prefill.writeSnapshot(threads: option("--threads", smoke ? 2_000 : 1_000_000), snapshotPath: snapshot, sizesPath: sizes,
                          now: Instant(seconds: Int64(time(nil))))
case "loadfile":
    guard let out = text("--out") else { fail("loadfile needs --out PATH") }
    let s = Prefill.sessionText(sessions: option("--sessions", 16), messages: option("--messages", 100),
                                tracked: option("--tracked", 1_000_000), seed: UInt64(option("--seed", 1)),
                                recipients: option("--recipients", 20))
    Prefill.writeFile(out, Array(s.utf8))
case "flood": FloodCommand.run(ids: option("--ids", smoke ? 200_000 : 10_000_000), cap: option("--cap", smoke ? 2_000 : 200_000))
default:
    let usage = "usage: breakwater-bench engine|growth|prefill|loadfile [options] (see main.swift)\n"
    _ = usage.withCString { write(2, $0, strlen($0)) }
    exit(64)
}

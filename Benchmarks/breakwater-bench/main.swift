// breakwater-bench: reruns the benchmarks that BENCHMARKS.md reports.
//   swift run -c release breakwater-bench engine [--tracked N] [--decisions N] [--runs N] [--smoke]
import Glibc

let args = Array(CommandLine.arguments.dropFirst())
let what = args.first ?? "engine"
func option(_ name: String, _ def: Int) -> Int {
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) else { return def }
    return v
}
let smoke = args.contains("--smoke")
switch what {
case "engine":
    var b = EngineBench()
    b.tracked = option("--tracked", smoke ? 20_000 : 1_000_000)
    b.decisions = option("--decisions", smoke ? 20_000 : 2_000_000)
    b.runs = option("--runs", smoke ? 1 : 5)
    b.run(smoke: smoke)
default:
    let usage = "usage: breakwater-bench engine [--tracked N] [--decisions N] [--runs N] [--smoke]\n"
    _ = usage.withCString { write(2, $0, strlen($0)) }
    exit(64)
}

// breakwater-lab: drives Breakwater hard and prints figures (BENCHMARKS.md, RELIABILITY.md).
// In process, on StormCore (Bench/):
//   breakwater-lab engine | growth | prefill | loadfile | ledger-flood | shared | shared-prefill [options]   (see Bench/BenchCommands.swift)
// Against a running daemon, from the MTA side, watching its process (Stress/):
//   breakwater-lab flood    --socket PATH --pid PID [options]   10 M fresh messages through the socket
//   breakwater-lab hostile  --socket PATH --pid PID [options]   millions of mutated/broken sessions
//   breakwater-lab soak     --socket PATH --pid PID [options]   steady mixed traffic, RSS/fd sampled
// Exit 0 only if every check held; 1 if one failed; 64 on bad usage.
import Glibc

let arguments = Array(CommandLine.arguments.dropFirst())
let options = LabOptions(Array(arguments.dropFirst()))
let status: Int32
switch arguments.first {
case "flood": status = LiveFlood.run(options)
case "hostile": status = HostileFlood.run(options)
case "soak": status = Soak.run(options)
case let what? where BenchCommands.names.contains(what):
    BenchCommands.run(what, options)
    status = 0
default:
    LabOutput.error("usage: breakwater-lab engine|growth|prefill|loadfile|ledger-flood|shared|shared-prefill [options], "
        + "or breakwater-lab flood|hostile|soak --socket PATH --pid PID [options] (see BENCHMARKS.md, RELIABILITY.md)")
    status = 64
}
exit(status)

/// `--name value` pairs and `--flag`s, as every subcommand takes them.
struct LabOptions {
    let words: [String]
    init(_ words: [String]) { self.words = words }

    func text(_ name: String) -> String? {
        guard let i = words.firstIndex(of: name), i + 1 < words.count else { return nil }
        return words[i + 1]
    }
    func int(_ name: String, _ fallback: Int) -> Int { text(name).flatMap { Int($0) } ?? fallback }
    func double(_ name: String, _ fallback: Double) -> Double { text(name).flatMap { Double($0) } ?? fallback }
    func flag(_ name: String) -> Bool { words.contains(name) }

    /// The daemon's process id (`--pid`), or nil when not given (then nothing is sampled).
    var pid: Int32? { text("--pid").flatMap { Int32($0) } }
    /// The milter socket (`--socket`): a unix path, or `inet:PORT@HOST`.
    var socket: String? { text("--socket") }
}

/// Lines on stdout and stderr, unbuffered (the benchmarks' figures go through `print`).
enum LabOutput {
    static func line(_ text: String) {
        write(1, text + "\n")
    }
    /// The last lines of a run: `NAME: PASS` (status 0), or one `NAME: FAIL: …` per failure (1).
    static func verdict(_ name: String, failures: [String]) -> Int32 {
        if failures.isEmpty {
            line("\(name): PASS")
            return 0
        }
        for f in failures { line("\(name): FAIL: \(f)") }
        return 1
    }

    static func error(_ text: String) {
        fflush(nil)  // what `print` buffered goes out first
        write(2, "breakwater-lab: " + text + "\n")
    }
    /// Unbuffered, so lines from a long run show up as they happen.
    private static func write(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n <= 0 { return }
            done += n
        }
    }
}

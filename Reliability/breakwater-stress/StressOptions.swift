import Glibc

/// `--name value` pairs and `--flag`s, as every subcommand takes them.
struct StressOptions {
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

enum StressOutput {
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
        write(2, "breakwater-stress: " + text + "\n")
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

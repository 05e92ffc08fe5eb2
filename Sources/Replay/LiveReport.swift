/// Per-message round trips (MAIL to final verdict), in nanoseconds, as percentiles.
public struct LatencySummary: Sendable, Equatable, Codable {
    /// Messages measured.
    public var count = 0
    /// Median.
    public var p50: Int64 = 0
    /// 90th percentile.
    public var p90: Int64 = 0
    /// 99th percentile.
    public var p99: Int64 = 0
    /// Slowest.
    public var max: Int64 = 0

    /// Percentiles of the samples (nearest rank).
    public init(_ samples: [Int64] = []) {
        guard !samples.isEmpty else { return }
        let sorted = samples.sorted()
        func rank(_ p: Double) -> Int64 { sorted[Swift.min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1)] }
        count = sorted.count
        p50 = rank(0.50)
        p90 = rank(0.90)
        p99 = rank(0.99)
        max = sorted.last!
    }
}

/// What a live replay found: expectations, connection errors, throughput and latency.
public struct LiveReport: Sendable {
    /// The filter's socket.
    public var endpoint = ""
    /// Files played.
    public var files = 0
    /// Connections used at once.
    public var connections = 0
    /// Sessions played (each on its own connection).
    public var sessions = 0
    /// Messages played.
    public var messages = 0
    /// Wall-clock seconds for the whole run.
    public var seconds = 0.0
    /// Round trips of messages that reached a verdict.
    public var latency = LatencySummary()
    /// Expectations.
    public var tally = ExpectationTally()
    /// Connections that failed (the first 100).
    public var errors: [String] = []
    /// Problems that stopped the run before it began.
    public var problems: [String] = []
    /// Every message's outcome, by file and line, in file order; kept only when
    /// `Options.keepOutcomes` asks (a load run of millions would not want them).
    public var outcomes: [MessageOutcome] = []

    /// An empty report.
    public init() {}

    init(problems: [String]) { self.problems = problems }

    /// 0 when every expectation held, 1 when one failed, 2 on usage, parse or connection errors.
    public var exitStatus: Int32 { !problems.isEmpty || !errors.isEmpty ? 2 : tally.failed > 0 ? 1 : 0 }

    /// Sessions per second.
    public var sessionsPerSecond: Double { seconds > 0 ? Double(sessions) / seconds : 0 }
    /// Messages per second.
    public var messagesPerSecond: Double { seconds > 0 ? Double(messages) / seconds : 0 }

    /// The report for people; its last line is exactly `N passed, N failed`.
    public var text: String {
        if !problems.isEmpty { return problems.joined(separator: "\n") + "\n" + tally.summaryLine + "\n" }
        func ms(_ ns: Int64) -> String { Self.fixed(Double(ns) / 1e6, 3) + " ms" }
        var out = ["live replay against \(endpoint): \(files) file\(files == 1 ? "" : "s"), \(sessions) sessions, "
                   + "\(messages) messages on \(connections) connection\(connections == 1 ? "" : "s") in \(Self.fixed(seconds, 3)) s",
                   "throughput: \(Self.fixed(sessionsPerSecond, 1)) sessions/s, \(Self.fixed(messagesPerSecond, 1)) messages/s"]
        if latency.count > 0 {
            out.append("latency (MAIL to verdict, \(latency.count) messages): p50 \(ms(latency.p50)), p90 \(ms(latency.p90)), "
                       + "p99 \(ms(latency.p99)), max \(ms(latency.max))")
        }
        out += errors.map { "error: \($0)" }
        out += tally.failures.map(\.description)
        if tally.failed > tally.failures.count { out.append("... and \(tally.failed - tally.failures.count) more failures") }
        out.append(tally.summaryLine)
        return out.joined(separator: "\n") + "\n"
    }

    /// The same report for programs.
    public var json: String {
        struct Body: Encodable {
            var endpoint: String
            var files, connections, sessions, messages: Int
            var seconds, sessionsPerSecond, messagesPerSecond: Double
            var latencyNanoseconds: LatencySummary
            var passed, failed: Int
            var failures, errors, problems: [String]
            var exitStatus: Int32
        }
        return JSONText.encode(Body(endpoint: endpoint, files: files, connections: connections, sessions: sessions,
                                    messages: messages, seconds: seconds, sessionsPerSecond: sessionsPerSecond,
                                    messagesPerSecond: messagesPerSecond, latencyNanoseconds: latency,
                                    passed: tally.passed, failed: tally.failed,
                                    failures: tally.failures.map(\.description), errors: errors, problems: problems,
                                    exitStatus: exitStatus))
    }

    /// `12.345`: a fixed number of decimals without Foundation's locale-dependent formatting.
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let n = Int64((value * scale).rounded())
        let whole = n / Int64(scale)
        var frac = String(n % Int64(scale))
        while frac.count < decimals { frac = "0" + frac }
        return decimals == 0 ? "\(whole)" : "\(whole).\(frac)"
    }
}

/// What one played message got, where the file has it: for comparing a live run with an
/// offline one, or two clients, message by message.
public struct MessageOutcome: Sendable, Equatable {
    /// The file as named on the command line.
    public var file: String
    /// Line of the message's `mail` line.
    public var line: Int
    /// `Observation.summary`: verdict and modifications.
    public var outcome: String

    /// An outcome at a place.
    public init(file: String, line: Int, outcome: String) {
        self.file = file
        self.line = line
        self.outcome = outcome
    }
}

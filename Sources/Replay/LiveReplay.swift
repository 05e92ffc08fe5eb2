public import MilterWire
import Foundation
import Synchronization

/// Plays session files against a running filter over N connections at once: the end-to-end
/// test runner and the load generator.
public enum LiveReplay {
    /// How fast time offsets pass.
    public enum Pacing: Sendable, Equatable {
        /// Ignore offsets: every session as soon as a connection is free.
        case asFastAsPossible
        /// Honour offsets, `speed` times faster than real time (1 = real time).
        case scaled(speed: Double)
    }

    /// Everything the live command needs.
    public struct Options: Sendable {
        /// Session file paths.
        public var files: [String]
        /// Where the filter listens (`unix:/path`, `inet:host:port`, `inet:port@host`).
        public var endpoint: String
        /// Connections (threads) at once.
        public var concurrency: Int
        /// Times every file is played.
        public var repeats: Int
        /// Offsets honoured or not.
        public var pacing: Pacing
        /// Longest wait for any reply.
        public var timeout: Duration
        /// Keep every message's outcome in the report (`LiveReport.outcomes`).
        public var keepOutcomes = false

        /// Options; defaults play once on one connection, as fast as possible, 10 s timeout.
        public init(files: [String], endpoint: String, concurrency: Int = 1, repeats: Int = 1,
                    pacing: Pacing = .asFastAsPossible, timeout: Duration = .seconds(10)) {
            self.files = files
            self.endpoint = endpoint
            self.concurrency = concurrency
            self.repeats = repeats
            self.pacing = pacing
            self.timeout = timeout
        }
    }

    /// Loads the files and plays them; usage and parse problems give exit status 2.
    public static func run(_ options: Options) -> LiveReport {
        var problems: [String] = []
        if options.concurrency < 1 || options.concurrency > 4096 { problems.append("--concurrency must be 1-4096") }
        if options.repeats < 1 { problems.append("--repeat must be >= 1") }
        if case let .scaled(speed) = options.pacing, !(speed > 0 && speed.isFinite) { problems.append("--speed must be > 0") }
        if options.timeout <= .zero { problems.append("--timeout must be > 0") }
        let endpoint: MilterEndpoint
        do { endpoint = try MilterEndpoint(parsing: options.endpoint) } catch {
            return LiveReport(problems: problems + [error.description])
        }
        guard problems.isEmpty else { return LiveReport(problems: problems) }
        do {
            let files = try SessionParser.load(paths: options.files)
            return run(files, endpoint: endpoint, options: options)
        } catch {
            return LiveReport(problems: error.problems.map(\.description))
        }
    }

    /// Plays parsed files. Sessions go to connections in order of their first message's time.
    public static func run(_ files: [SessionFile], endpoint: MilterEndpoint, options: Options) -> LiveReport {
        struct Job: Sendable { var file: Int; var session: Int; var first: Int64 }
        var jobs: [Job] = []
        for (f, file) in files.enumerated() {
            for (s, session) in file.sessions.enumerated() {
                jobs.append(Job(file: f, session: s, first: ReplayTiming.offsets(of: session).first ?? 0))
            }
        }
        jobs = jobs.enumerated().sorted { ($0.element.first, $0.offset) < ($1.element.first, $1.offset) }.map(\.element)
        let configuration = MilterClient.Configuration(timeout: options.timeout)
        var report = LiveReport()
        report.endpoint = endpoint.description
        report.files = files.count
        report.connections = options.concurrency

        let collected = Mutex(Collected())
        let started = ContinuousClock.now
        // why rounds: with pacing each round replays the files' timeline afresh after the last;
        // without it every round goes into one queue so connections never idle between rounds.
        let rounds: [[Job]] = options.pacing == .asFastAsPossible
            ? [Array(repeating: jobs, count: options.repeats).flatMap { $0 }]
            : Array(repeating: jobs, count: options.repeats)
        for round in rounds {
            let clock: (origin: ContinuousClock.Instant, speed: Double)?
            if case let .scaled(speed) = options.pacing { clock = (ContinuousClock.now, speed) } else { clock = nil }
            let next = Atomic<Int>(0)
            let group = DispatchGroup()
            for _ in 0..<min(options.concurrency, max(round.count, 1)) {
                group.enter()
                let thread = Thread {
                    defer { group.leave() }
                    let player = SessionPlayer(endpoint: endpoint, configuration: configuration, clock: clock)
                    var local = Collected()
                    while true {
                        let i = next.add(1, ordering: .relaxed).oldValue
                        guard i < round.count else { break }
                        let job = round[i]
                        let session = files[job.file].sessions[job.session]
                        let run = player.play(session)
                        local.add(run, session: session, file: files[job.file].name, keep: options.keepOutcomes)
                    }
                    collected.withLock { $0.merge(local) }
                }
                thread.stackSize = 1 << 20
                thread.start()
            }
            group.wait()
        }
        let elapsed = ContinuousClock.now - started
        collected.withLock { c in
            report.sessions = c.sessions
            report.messages = c.messages
            report.tally = c.tally
            report.tally.settle()
            report.errors = c.errors
            report.outcomes = c.outcomes.sorted { ($0.file, $0.line) < ($1.file, $1.line) }
            report.latency = LatencySummary(c.latencies)
        }
        report.tally.failures.sort { ($0.source.file, $0.source.line) < ($1.source.file, $1.source.line) }
        report.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return report
    }

    /// One worker's results, merged once at its end.
    struct Collected: Sendable {
        var sessions = 0
        var messages = 0
        var tally = ExpectationTally()
        var latencies: [Int64] = []
        var errors: [String] = []
        var outcomes: [MessageOutcome] = []

        mutating func add(_ run: SessionPlayer.Run, session: Session, file: String, keep: Bool) {
            sessions += 1
            messages += session.messages.count
            for (i, m) in session.messages.enumerated() {
                tally.check(m, index: i, in: session, observed: run.observations[i])
                if keep { outcomes.append(MessageOutcome(file: file, line: m.source.line, outcome: run.observations[i].summary)) }
            }
            latencies += run.latencies
            if let e = run.error, errors.count < 100 {
                errors.append("\(session.source): \(session.name.isEmpty ? "session" : "session " + session.name): \(e)")
            }
        }

        mutating func merge(_ other: Collected) {
            sessions += other.sessions
            messages += other.messages
            tally.merge(other.tally)
            latencies += other.latencies
            errors += other.errors.prefix(max(0, 100 - errors.count))
            outcomes += other.outcomes
        }
    }
}

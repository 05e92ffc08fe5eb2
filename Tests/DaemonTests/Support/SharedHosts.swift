import Daemon
import Foundation
import Glibc
import MilterWire
import Synchronization
import TestSupport
import Testing

// Several MX hosts on one Redis (issue #15): real `breakwater run` daemons, each with its own
// folder, milter socket, control socket, metrics port and snapshot, and the same `shared_state`.

/// Suites that need a real server are skipped, with this reason, when it is not installed.
let withPrivateRedis = ConditionTrait.enabled(if: PrivateRedis.isInstalled,
                                              "needs Debian's redis-server (apt-get install redis-server)")

extension PrivateRedis {
    /// The server's address as an admin writes it in `shared_state`.
    var sharedState: String {
        socketPath.map { "unix:\($0)" } ?? "redis://127.0.0.1:\(port!)"
    }
}

/// One MX host: a daemon and the admin verbs on its control socket.
final class Host {
    /// `a`, `b`, ...: what failure messages call it.
    let name: String
    let daemon: TestDaemon
    let cli: AdminCLI

    init(name: String, settings: String, sizes: String) throws {
        daemon = try TestDaemon(settings, sizes: sizes, prefix: "bw-shared-\(name)", controlSocket: true, metrics: true,
                                logName: "host-\(name)")
        self.name = name
        cli = AdminCLI(folder: daemon.folder, socket: daemon.controlSocket!)
    }

    /// Sends `message` on a connection of its own, as one SMTP session of an MTA would.
    func send(_ message: MilterMessage) throws -> MessageResult {
        try timedSend(message).result
    }

    /// The same, and how long the MTA waited for the verdict (connect to end of message).
    func timedSend(_ message: MilterMessage) throws -> (result: MessageResult, took: Duration) {
        let clock = ContinuousClock()
        let start = clock.now
        let client = try daemon.client()
        defer { client.quit() }
        let result = try client.send(message)
        return (result, clock.now - start)
    }

    /// `breakwater thread ID --json` on this host.
    func thread(_ id: String) throws -> ThreadView {
        try cli.json(ThreadView.self, ["thread", id])
    }

    /// `breakwater storms --json` on this host.
    func storms() throws -> [ThreadView] {
        try cli.json([ThreadView].self, ["storms"])
    }

    /// What `breakwater stats --json` says about the shared state.
    func sharedStats() throws -> SharedStats {
        try cli.json(SharedStats.self, ["stats"])
    }

    /// `breakwater_shared_state_up` on the metrics endpoint; nil when absent or unreachable.
    var sharedStateUpMetric: Double? {
        guard let scrape = try? MetricsScrape.get(port: daemon.metricsPort!) else { return nil }
        return MetricsScrape.value("breakwater_shared_state_up", in: scrape.body)
    }

    /// Waits (bounded) until `breakwater_shared_state_up` is `value`.
    func waitForSharedStateMetric(_ value: Double, seconds: Double = 15) -> Bool {
        TestEnvironment.waitUntil(seconds: seconds) { sharedStateUpMetric == value }
    }

    /// The log's lines about the shared state going away and coming back, in order: `false` for a
    /// line with `shared state` and `unavailable`, `true` for one with `shared state` and `connected`.
    var sharedStateEvents: [(up: Bool, line: String)] {
        daemon.log.split(separator: "\n").compactMap { raw in
            let line = raw.lowercased()
            guard line.contains("shared state") else { return nil }
            if line.contains("unavailable") { return (false, String(raw)) }
            if line.contains("connected"), !line.contains("disconnected"), !line.contains("not connected") {
                return (true, String(raw))
            }
            return nil
        }
    }

    /// `unavailable` lines since the last `connected` one (or since start): the current episode's.
    var unavailableLinesThisEpisode: Int {
        sharedStateEvents.reversed().prefix { !$0.up }.count
    }

    /// Waits (bounded) until the last shared-state line of the log says `up` (connected) or not.
    func waitForSharedState(up: Bool, seconds: Double = 15) -> Bool {
        TestEnvironment.waitUntil(seconds: seconds) { sharedStateEvents.last?.up == up }
    }

    /// Log lines containing `text`.
    func logLines(containing text: String) -> [String] {
        daemon.log.split(separator: "\n").filter { $0.contains(text) }.map(String.init)
    }
}

/// The shared-state fields of `breakwater stats --json`.
struct SharedStats: Decodable {
    var sharedState: String?
    var sharedStateUp: Bool?
}

/// The hosts of one test, all on the same `shared_state`.
final class SharedHosts {
    /// Settings every host starts from (after TestDaemon's base): a storm trips at the third
    /// reply-all, and stopped ones get a reply a test can tell from any other. The timeout is
    /// generous: a decision the shared state did not answer in time is taken locally, and on this
    /// shared 2-core machine 50 ms is not always enough, which would make the counts flaky.
    static let common = """
        trip_replies = 3
        storm_reply = 550 5.7.1 Storm
        shared_state_timeout = 1s
        """

    let hosts: [Host]
    var a: Host { hosts[0] }
    var b: Host { hosts[1] }

    /// Starts `count` hosts on `sharedState`, each with `common`, then `settings`; returns once
    /// every one listens (also when the shared state cannot be reached: a host must start anyway).
    init(count: Int = 2, sharedState: String, settings: String = "", sizes: String = TestDaemon.sizes) throws {
        var started: [Host] = []
        do {
            for name in ["a", "b", "c", "d"].prefix(count) {
                started.append(try Host(name: name, settings: "\(Self.common)\nshared_state = \(sharedState)\n\(settings)",
                                        sizes: sizes))
            }
        } catch {
            started.forEach { $0.daemon.finish() }
            throw error
        }
        hosts = started
    }

    /// Every host's log, for a failure message.
    var logs: String {
        hosts.map { "--- host \($0.name) (\($0.daemon.folder)) ---\n\($0.daemon.log)" }.joined(separator: "\n")
    }

    /// Waits until every host logged that it is connected to the shared state.
    func waitUntilConnected(seconds: Double = 15) -> Bool {
        hosts.allSatisfy { $0.waitForSharedState(up: true, seconds: seconds) }
    }

    /// Kills every daemon and removes its folder.
    func finish() {
        hosts.forEach { $0.daemon.finish() }
    }
}

/// Starts a private Redis and `count` hosts on it, waits until they are connected, runs `body`,
/// and always cleans up.
func withSharedHosts(count: Int = 2, settings: String = "", sizes: String = TestDaemon.sizes, unixSocket: Bool = false,
                     _ body: (PrivateRedis, SharedHosts) throws -> Void) throws {
    let redis = try PrivateRedis(unixSocket: unixSocket)
    let hosts = try SharedHosts(count: count, sharedState: redis.sharedState, settings: settings, sizes: sizes)
    defer { hosts.finish() }
    try #require(hosts.waitUntilConnected(), "\(hosts.logs)")
    try body(redis, hosts)
}

extension MilterMessage {
    /// userN's answer to the author alone, in thread `root`: a direct reply, small audience.
    static func directReply(_ n: Int, root: String) -> MilterMessage {
        MilterMessage(
            sender: "<user\(n)@example.test>", recipients: ["<boss@example.test>"],
            headers: [HeaderField(name: "From", value: "User \(n) <user\(n)@example.test>"),
                      HeaderField(name: "To", value: "boss@example.test"),
                      HeaderField(name: "Message-ID", value: "<direct\(n).\(root)>"),
                      HeaderField(name: "In-Reply-To", value: "<\(root)>"),
                      HeaderField(name: "References", value: "<\(root)>"),
                      HeaderField(name: "Subject", value: "Re: Welcome")],
            macros: [.mail: ["i": "D\(n)"]])
    }

    /// Ordinary mail: userN to one colleague, in no thread.
    static func ordinary(_ n: Int) -> MilterMessage {
        MilterMessage(
            sender: "<user\(n)@example.test>", recipients: ["<user\(n + 1)@example.test>"],
            headers: [HeaderField(name: "From", value: "User \(n) <user\(n)@example.test>"),
                      HeaderField(name: "To", value: "user\(n + 1)@example.test"),
                      HeaderField(name: "Message-ID", value: "<note\(n)@ids.invalid>"),
                      HeaderField(name: "Subject", value: "Lunch at \(n)?")],
            macros: [.mail: ["i": "O\(n)"]])
    }
}

extension MessageResult {
    /// The reply code the MTA would give: 250 for a delivery, the filter's code, or the
    /// default 550 / 451 of a bare reject / tempfail; 0 for anything else.
    var smtpCode: Int {
        switch verdict {
        case .accept, .discard: return 250
        case .reject: return 550
        case .tempfail: return 451
        case let .reply(reply): return reply.code
        case .shutdown, .connectionFailure: return 0
        }
    }

    /// Refused for good (5xx): what a stopped reply-all gets with the default actions.
    var isStopped: Bool { (500...599).contains(smtpCode) }

    /// Deferred (4xx).
    var isDeferred: Bool { (400...499).contains(smtpCode) }

    /// One word and the code, for failure messages: `pass`, `stop 550 5.7.1`, `defer 451 4.3.0`.
    var summary: String {
        if passed { return "pass" }
        var text = isStopped ? "stop" : isDeferred ? "defer" : "\(verdict)"
        if case let .reply(reply) = verdict { text += " \(reply.code) \(reply.enhancedCode ?? "")" }
        if let hold = quarantineReason { text += " hold \(hold)" }
        return text
    }
}

/// A raced connection that did not finish in time.
struct UnfinishedConnection: Error, CustomStringConvertible {
    var description: String
}

/// Runs one milter connection per entry of `sockets` at once: each on its own thread connects,
/// waits until every other one is connected, then runs `body` on its connection. The results by
/// index. What makes two hosts race on one thread, not take turns.
func race<T: Sendable>(_ sockets: [String], seconds: Double = 120,
                       _ body: @escaping @Sendable (Int, MilterClient) throws -> T) -> [Result<T, any Error>] {
    let results = Mutex<[Int: Result<T, any Error>]>([:])
    let ready = DispatchSemaphore(value: 0), go = DispatchSemaphore(value: 0)
    let done = DispatchGroup()
    for (i, socket) in sockets.enumerated() {
        done.enter()
        Thread.detachNewThread {
            defer { done.leave() }
            let client: MilterClient
            do {
                client = try TestDaemon.client(listen: socket)
            } catch {
                results.withLock { $0[i] = .failure(error) }
                ready.signal()
                return
            }
            defer { client.quit() }
            ready.signal()
            go.wait()
            let result = Result { try body(i, client) }
            results.withLock { $0[i] = result }
        }
    }
    for _ in sockets { ready.wait() }
    for _ in sockets { go.signal() }
    let finished = done.wait(timeout: .now() + seconds) == .success
    return results.withLock { all in
        sockets.indices.map { all[$0] ?? .failure(UnfinishedConnection(description: "connection \($0) not done after \(seconds) s (finished: \(finished))")) }
    }
}

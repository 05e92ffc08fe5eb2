import Foundation
import Glibc
import MilterWire
import TestSupport

/// The real `breakwater` binary on a unix socket in a scratch folder, with what the reliability
/// tests need on top of starting it: its memory and file descriptors from /proc, SIGKILL, and a
/// restart on the same files.
final class LiveDaemon {
    let folder: String
    let configPath: String
    let snapshotPath: String
    let socketPath: String
    private(set) var process: ChildProcess
    private var generation = 0

    /// all@example.test reaches 50 mailboxes, so a reply-all to it and the author reaches 51.
    static let sizes = "all@example.test 50\n"

    /// Small thresholds, quick snapshots, no socket group (tests run as whoever they are).
    static let base = """
        reply_all_threshold = 10
        trip_replies = 2
        snapshot_interval = 1s
        socket_group =
        log_level = debug
        """

    /// Writes the config (`base`, socket, snapshot, sizes, then `settings`) and starts the
    /// daemon; returns once it accepts connections. `snapshotPath` overrides the default.
    init(_ settings: String = "", snapshotPath: String? = nil, folder existing: String? = nil) throws {
        folder = try existing ?? TestEnvironment.temporaryFolder(prefix: "breakwater-reliability")
        configPath = "\(folder)/breakwater.conf"
        self.snapshotPath = snapshotPath ?? "\(folder)/ledger.snapshot"
        socketPath = "\(folder)/bw.sock"
        try Self.sizes.write(toFile: "\(folder)/sizes", atomically: true, encoding: .utf8)
        let config = """
            listen = unix:\(socketPath)
            snapshot_path = \(self.snapshotPath)
            list_size_maps = \(folder)/sizes
            \(Self.base)
            \(settings)

            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        process = try Self.spawn(configPath, log: "\(folder)/daemon-0.log")
        try waitUntilListening()
    }

    private static func spawn(_ configPath: String, log: String) throws -> ChildProcess {
        guard let binary = TestEnvironment.executable(named: "breakwater") else {
            throw ChildProcess.SpawnError(description: "breakwater not found next to the test binary; build it first")
        }
        return try ChildProcess(binary, ["run", "--foreground", "--allow-root", "--config", configPath], logPath: log)
    }

    private func waitUntilListening() throws {
        let up = TestEnvironment.waitUntil(seconds: 20) { [self] in
            TestEnvironment.isListening(unixPath: socketPath) || !isAlive
        }
        guard up, isAlive else { throw ChildProcess.SpawnError(description: "breakwater did not start:\n\(log)") }
    }

    /// Everything the current process logged.
    var log: String { process.output }

    /// Waits (bounded) until the log contains `text`.
    @discardableResult
    func waitForLog(_ text: String, seconds: Double = 20) -> Bool {
        TestEnvironment.waitUntil(seconds: seconds) { [self] in log.contains(text) }
    }

    /// True while the process exists and is not a zombie.
    var isAlive: Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(process.pid)/status", encoding: .utf8) else { return false }
        return !status.contains("State:\tZ") && !status.contains("State:\tX")
    }

    /// Peak resident memory (VmHWM) in KiB.
    var peakRSSKiB: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }

    /// Open file descriptors right now.
    var openFDs: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.pid)/fd"))?.count ?? -1
    }

    /// A well-behaved MilterWire client, past connect and HELO.
    func client(timeout: Duration = .seconds(15)) throws -> MilterClient {
        let c = try MilterClient(connectingTo: "unix:\(socketPath)", configuration: .init(timeout: timeout))
        _ = try c.connect(hostname: "client.example.test", address: .inet(address: "192.0.2.7", port: 40000))
        _ = try c.helo("client.example.test")
        return c
    }

    /// SIGKILL, and wait for the process to be gone.
    func kill() {
        process.send(SIGKILL)
        _ = process.waitForExit(within: 30)
    }

    /// Sends SIGTERM and waits for the exit (libmilter takes up to ~5 s).
    func stop() -> (ending: ChildProcess.Ending, timedOut: Bool) {
        process.send(SIGTERM)
        return process.waitForExit(within: 30)
    }

    /// A new process on the same folder, config and snapshot.
    func restart() throws {
        generation += 1
        process = try Self.spawn(configPath, log: "\(folder)/daemon-\(generation).log")
        try waitUntilListening()
    }

    /// Kills the process and removes the folder.
    func finish() {
        process.killNow()
        TestEnvironment.remove(folder)
    }
}

/// The mail of the tests: an original to the big list, reply-alls to it, a direct reply.
enum Mail {
    static func original(root: String, subject: String = "Welcome") -> MilterMessage {
        MilterMessage(sender: "<boss@example.test>", recipients: ["<all@example.test>"],
                      headers: [HeaderField(name: "From", value: "Boss <boss@example.test>"),
                                HeaderField(name: "To", value: "all@example.test"),
                                HeaderField(name: "Message-ID", value: "<\(root)>"),
                                HeaderField(name: "Subject", value: subject)])
    }

    /// A reply-all from userN: to the list and the author, so it reaches 51 mailboxes.
    static func replyAll(_ n: Int, root: String, subject: String = "Welcome") -> MilterMessage {
        MilterMessage(sender: "<user\(n)@example.test>", recipients: ["<all@example.test>", "<boss@example.test>"],
                      headers: [HeaderField(name: "From", value: "User \(n) <user\(n)@example.test>"),
                                HeaderField(name: "To", value: "all@example.test"),
                                HeaderField(name: "Cc", value: "boss@example.test"),
                                HeaderField(name: "Message-ID", value: "<reply\(n).\(root)>"),
                                HeaderField(name: "In-Reply-To", value: "<\(root)>"),
                                HeaderField(name: "References", value: "<\(root)>"),
                                HeaderField(name: "Subject", value: "Re: \(subject)")],
                      macros: [.mail: ["i": "Q\(n)"]])
    }

    /// A reply to the author only: always passes.
    static func direct(_ n: Int, root: String) -> MilterMessage {
        MilterMessage(sender: "<user\(n)@example.test>", recipients: ["<boss@example.test>"],
                      headers: [HeaderField(name: "From", value: "user\(n)@example.test"),
                                HeaderField(name: "To", value: "boss@example.test"),
                                HeaderField(name: "Message-ID", value: "<direct\(n).\(root)>"),
                                HeaderField(name: "In-Reply-To", value: "<\(root)>"),
                                HeaderField(name: "Subject", value: "Re: Welcome")])
    }
}

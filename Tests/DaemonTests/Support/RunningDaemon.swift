import Foundation
import Glibc
import MilterWire
import TestSupport

/// A real `breakwater run --foreground` process on a unix socket (or a TCP port) in its own
/// scratch folder, with a config file, a list-size table and a snapshot there.
final class RunningDaemon {
    /// The scratch folder: config, socket, snapshot, logs.
    let folder: String
    let configPath: String
    let snapshotPath: String
    /// Postfix spelling of the socket, as written in the config.
    let listen: String
    /// libmilter spelling, for miltertest.
    let miltertestSocket: String
    private(set) var process: ChildProcess
    private var generation = 0
    /// The settings under the test's own (`base` unless a test asked for others).
    private let baseSettings: String

    /// The mail world of the Lua scripts: all@example.test reaches 50 mailboxes.
    static let sizes = "all@example.test 50\n"

    /// Settings every test starts from: small thresholds, no hard gate, quick snapshots.
    static let base = """
        reply_all_threshold = 10
        trip_replies = 2
        hard_gate = off
        snapshot_interval = 1s
        socket_group =
        log_level = debug
        """

    static var binary: String? { TestEnvironment.executable(named: "breakwater") }
    static let luaFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("lua").path

    /// Writes the config (`base`, the socket and files, then `settings`) and starts the daemon;
    /// returns once it accepts connections.
    init(_ settings: String = "", tcpPort: UInt16? = nil, folder existing: String? = nil,
         base: String = RunningDaemon.base) throws {
        baseSettings = base
        folder = try existing ?? TestEnvironment.temporaryFolder(prefix: "breakwater-tests")
        configPath = "\(folder)/breakwater.conf"
        snapshotPath = "\(folder)/ledger.snapshot"
        if let tcpPort {
            listen = "inet:127.0.0.1:\(tcpPort)"
            miltertestSocket = "inet:\(tcpPort)@127.0.0.1"
        } else {
            listen = "unix:\(folder)/breakwater.sock"
            miltertestSocket = "local:\(folder)/breakwater.sock"
        }
        try Self.sizes.write(toFile: "\(folder)/sizes", atomically: true, encoding: .utf8)
        try Self.configText(settings, listen: listen, folder: folder, snapshotPath: snapshotPath, base: base)
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        process = try Self.spawn(configPath: configPath, log: "\(folder)/daemon-0.log")
        try waitUntilListening()
    }

    /// The config text for `settings` on top of the base.
    static func configText(_ settings: String, listen: String, folder: String, snapshotPath: String,
                           base: String = RunningDaemon.base) -> String {
        """
        # written by DaemonTests
        listen = \(listen)
        snapshot_path = \(snapshotPath)
        list_size_maps = \(folder)/sizes
        \(base)
        \(settings)

        """
    }

    func writeConfig(_ settings: String) throws {
        try Self.configText(settings, listen: listen, folder: folder, snapshotPath: snapshotPath, base: baseSettings)
            .write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    static func spawn(configPath: String, log: String) throws -> ChildProcess {
        guard let binary else {
            throw ChildProcess.SpawnError(description: "breakwater not found next to the test binary; build it first")
        }
        return try ChildProcess(binary, ["run", "--foreground", "--allow-root", "--config", configPath], logPath: log)
    }

    /// Waits until the socket accepts connections (or the daemon died).
    func waitUntilListening(seconds: Double = 20) throws {
        let up = TestEnvironment.waitUntil(seconds: seconds) { [self] in
            if listen.hasPrefix("unix:") { return TestEnvironment.isListening(unixPath: String(listen.dropFirst(5))) }
            return TestEnvironment.isListening(loopbackPort: UInt16(listen.split(separator: ":").last!)!)
        }
        guard up else { throw ChildProcess.SpawnError(description: "breakwater did not start listening:\n\(log)") }
    }

    /// Everything the daemon logged so far.
    var log: String { process.output }

    /// Waits until the log contains `text` (bounded).
    @discardableResult
    func waitForLog(_ text: String, seconds: Double = 20) -> Bool {
        TestEnvironment.waitUntil(seconds: seconds) { [self] in log.contains(text) }
    }

    /// Runs a Lua script from lua/ against the daemon.
    func script(_ name: String, _ defines: [String: String] = [:], logName: String? = nil) throws -> (passed: Bool, output: String) {
        try Miltertest.run(name, luaFolder: Self.luaFolder, socket: miltertestSocket, in: folder,
                           defines: defines, logName: logName)
    }

    /// A MilterWire client on the daemon's socket, past connect and HELO.
    func client(timeout: Duration = .seconds(10)) throws -> MilterClient {
        let c = try MilterClient(connectingTo: listen, configuration: .init(timeout: timeout))
        try c.connect(hostname: "client.example.test", address: .inet(address: "192.0.2.7", port: 40000))
        try c.helo("client.example.test")
        return c
    }

    /// Sends SIGTERM and waits for the exit (libmilter takes up to ~5 s).
    func stop() -> (ending: ChildProcess.Ending, timedOut: Bool) {
        process.send(SIGTERM)
        return process.waitForExit(within: 30)
    }

    /// Starts a new daemon process on the same folder, config and snapshot.
    func restart() throws {
        generation += 1
        process = try Self.spawn(configPath: configPath, log: "\(folder)/daemon-\(generation).log")
        try waitUntilListening()
    }

    /// Kills the daemon at once and removes the folder.
    func finish() {
        process.killNow()
        TestEnvironment.remove(folder)
    }
}

extension MilterMessage {
    /// A reply-all from userN in thread `root`, to the list (and the author in Cc).
    static func replyAll(_ n: Int, root: String, subject: String = "Welcome",
                         recipients: [String] = ["<all@example.test>", "<boss@example.test>"],
                         extraHeaders: [HeaderField] = []) -> MilterMessage {
        MilterMessage(
            sender: "<user\(n)@example.test>", recipients: recipients,
            headers: [HeaderField(name: "From", value: "User \(n) <user\(n)@example.test>"),
                      HeaderField(name: "To", value: "all@example.test"),
                      HeaderField(name: "Message-ID", value: "<reply\(n).\(root)>"),
                      HeaderField(name: "In-Reply-To", value: "<\(root)>"),
                      HeaderField(name: "References", value: "<\(root)>"),
                      HeaderField(name: "Subject", value: "Re: \(subject)")] + extraHeaders,
            macros: [.mail: ["i": "Q\(n)"]])
    }
}

import Foundation
import Glibc

/// The real `breakwater` binary, started by a test as a child process: its config written into
/// a scratch folder (or one the test names), started with `run --foreground`, waited for until
/// its sockets accept connections, and stopped, killed or restarted on the same files.
///
/// The config is the launcher's lines (listen, snapshot, list sizes, control socket, metrics,
/// user), then `base`, then the test's `settings`; a later line wins, so `settings` can
/// override anything above it. The one place that knows how to start the daemon.
public final class TestDaemon {
    /// The folder of config, socket, snapshot and logs.
    public let folder: String
    public let configPath: String
    public let snapshotPath: String
    /// The milter socket's unix path; empty for a daemon on TCP (`tcpPort:`).
    public let socketPath: String
    /// Postfix spelling of the milter socket, as written in the config (`unix:...`, `inet:...`).
    public let listen: String
    /// libmilter spelling, for miltertest (`local:...`, `inet:PORT@127.0.0.1`).
    public let miltertestSocket: String
    /// The control socket's path, when the daemon was given one (`controlSocket: true`).
    public let controlSocket: String?
    /// The metrics endpoint's loopback port, when the daemon was given one (`metrics: true`).
    public let metricsPort: UInt16?
    /// The running process (a new one after each ``restart()``).
    public private(set) var process: ChildProcess

    private let header: String
    private let base: String
    private let launch: Launch
    private let removesFolder: Bool
    private var generation = 0

    /// How the process is started each time: flags, environment, and its log's name.
    private struct Launch {
        var allowRoot: Bool
        var arguments: [String]
        var environment: [String: String]
        var logName: String
    }

    /// The `breakwater` executable from the same build products folder as the test binary.
    public static var binary: String? { TestEnvironment.executable(named: "breakwater") }

    /// The mail world of the tests: all@example.test reaches 50 mailboxes.
    public static let sizes = "all@example.test 50\n"

    /// Settings every test starts from: small thresholds, no hard gate, quick snapshots, no
    /// socket group (tests run as whoever they are).
    public static let base = """
        reply_all_threshold = 10
        trip_replies = 2
        hard_gate = off
        snapshot_interval = 1s
        socket_group =
        log_level = debug
        """

    /// Writes the config and starts the daemon; returns once it accepts connections on every
    /// socket it was given (unless `waitsUntilListening` is false: a test of a refused start).
    /// - Parameters:
    ///   - settings: config lines after `base`.
    ///   - base: the settings before the test's own.
    ///   - sizes: the list-size table written to `sizes` in the folder and named by
    ///     `list_size_maps`; nil for none (the test names its own tables, or Postfix's).
    ///   - folder: an existing folder to use; a fresh one with `prefix` otherwise.
    ///   - removesFolder: whether ``finish()`` removes the folder (a shared one stays).
    ///   - socketPath: the milter socket's unix path (`breakwater.sock` in the folder by default).
    ///   - tcpPort: listen on 127.0.0.1:`tcpPort` instead of a unix socket.
    ///   - snapshotPath: the snapshot (`ledger.snapshot` in the folder by default).
    ///   - controlSocket: a control socket `control.sock` in the folder (off by default).
    ///   - metrics: a metrics endpoint on a free loopback port.
    ///   - runAsUser: `run_as_user`; the folder is given to that user first.
    ///   - allowRoot: start with `--allow-root`.
    ///   - arguments: more arguments after `run --foreground ... --config PATH`.
    ///   - environment: variables besides `PATH`.
    ///   - logName: logs are `NAME-0.log`, `NAME-1.log` after a restart, ... in the folder.
    public init(_ settings: String = "", base: String = TestDaemon.base, sizes: String? = TestDaemon.sizes,
                folder existing: String? = nil, prefix: String = "breakwater-tests", removesFolder: Bool = true,
                socketPath: String? = nil, tcpPort: UInt16? = nil, snapshotPath: String? = nil,
                controlSocket: Bool = false, metrics: Bool = false, runAsUser: String? = nil,
                allowRoot: Bool = true, arguments: [String] = [], environment: [String: String] = [:],
                logName: String = "daemon", waitsUntilListening: Bool = true) throws {
        let folder = try existing ?? TestEnvironment.temporaryFolder(prefix: prefix)
        self.folder = folder
        self.removesFolder = removesFolder
        self.base = base
        configPath = "\(folder)/breakwater.conf"
        self.snapshotPath = snapshotPath ?? "\(folder)/ledger.snapshot"
        if let tcpPort {
            self.socketPath = ""
            listen = "inet:127.0.0.1:\(tcpPort)"
            miltertestSocket = "inet:\(tcpPort)@127.0.0.1"
        } else {
            let path = socketPath ?? "\(folder)/breakwater.sock"
            self.socketPath = path
            listen = "unix:\(path)"
            miltertestSocket = "local:\(path)"
        }
        self.controlSocket = controlSocket ? "\(folder)/control.sock" : nil
        metricsPort = metrics ? try TestEnvironment.freePort() : nil
        launch = Launch(allowRoot: allowRoot, arguments: arguments, environment: environment, logName: logName)

        var lines = ["# written by TestDaemon", "listen = \(listen)", "snapshot_path = \(self.snapshotPath)"]
        if let sizes {
            try sizes.write(toFile: "\(folder)/sizes", atomically: true, encoding: .utf8)
            lines.append("list_size_maps = \(folder)/sizes")
        }
        // why off unless asked: the default (/run/breakwater/control.sock) is one path for every
        // daemon on the machine, tests running in parallel included.
        lines.append("control_socket = \(self.controlSocket ?? "")")
        if let metricsPort { lines.append("metrics_listen = 127.0.0.1:\(metricsPort)") }
        if let runAsUser {
            guard let user = getpwnam(runAsUser), chown(folder, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
                throw ChildProcess.SpawnError(description: "cannot give \(folder) to \(runAsUser)")
            }
            lines.append("run_as_user = \(runAsUser)")
        }
        header = lines.joined(separator: "\n")
        try Self.configText(header: header, base: base, settings: settings)
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        process = try Self.spawn(config: configPath, log: "\(folder)/\(logName)-0.log", allowRoot: allowRoot,
                                 arguments: arguments, environment: environment)
        if waitsUntilListening {
            do { try waitUntilListening() } catch {
                finish()
                throw error
            }
        }
    }

    private static func configText(header: String, base: String, settings: String) -> String {
        "\(header)\n\(base)\n\(settings)\n\n"
    }

    /// Starts `breakwater run --foreground --config CONFIG` (the config need not exist) with
    /// its output to `log`; does not wait for anything.
    public static func spawn(config: String, log: String, allowRoot: Bool = true, arguments: [String] = [],
                             environment: [String: String] = [:]) throws -> ChildProcess {
        guard let binary else {
            throw ChildProcess.SpawnError(description: "breakwater not found next to the test binary; build it first")
        }
        let flags = ["run", "--foreground"] + (allowRoot ? ["--allow-root"] : []) + ["--config", config]
        return try ChildProcess(binary, flags + arguments, logPath: log, environment: environment)
    }

    /// Rewrites the config with other `settings` (same launcher lines and base), for a reload.
    public func writeConfig(_ settings: String) throws {
        try Self.configText(header: header, base: base, settings: settings)
            .write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Waits until the milter socket, and the control socket and metrics port if any, accept
    /// connections; throws with the log if the process ends first or `seconds` pass.
    public func waitUntilListening(seconds: Double = 30) throws {
        let up = TestEnvironment.waitUntil(seconds: seconds) { [self] in
            !process.isRunning || isListening
        }
        guard up, process.isRunning else {
            throw ChildProcess.SpawnError(description: "breakwater did not start listening (\(listen)):\n\(log)")
        }
    }

    private var isListening: Bool {
        let milter = socketPath.isEmpty
            ? TestEnvironment.isListening(loopbackPort: UInt16(listen.split(separator: ":").last!)!)
            : TestEnvironment.isListening(unixPath: socketPath)
        return milter && (controlSocket.map { TestEnvironment.isListening(unixPath: $0) } ?? true)
            && (metricsPort.map { TestEnvironment.isListening(loopbackPort: $0) } ?? true)
    }

    /// Everything the current process logged so far.
    public var log: String { process.output }

    /// Waits (bounded) until the current process's log contains `text`.
    @discardableResult
    public func waitForLog(_ text: String, seconds: Double = 30) -> Bool {
        TestEnvironment.waitUntil(seconds: seconds) { [self] in log.contains(text) }
    }

    /// Sends SIGUSR1 and waits (bounded) until the log has one more `reloaded CONFIG` line
    /// than before; false if it does not (a failed reload logs `reload failed` instead).
    @discardableResult
    public func reload(seconds: Double = 30) -> Bool {
        let line = "reloaded \(configPath)"
        let before = log.components(separatedBy: line).count
        process.send(SIGUSR1)
        return TestEnvironment.waitUntil(seconds: seconds) { [self] in log.components(separatedBy: line).count > before }
    }

    /// SIGTERM, as systemd stops it, and waits for the exit (libmilter takes up to ~5 s); how
    /// it ended, and whether it had to be killed after `seconds`.
    public func stop(within seconds: Double = 30) -> (ending: ChildProcess.Ending, timedOut: Bool) {
        process.send(SIGTERM)
        return process.waitForExit(within: seconds)
    }

    /// SIGKILL, and waits until the process is gone.
    public func kill() {
        process.killNow()
    }

    /// Starts a new process on the same folder, config and snapshot (after ``stop(within:)``
    /// or ``kill()``), logging to the next log file; returns once it listens.
    public func restart() throws {
        generation += 1
        process = try Self.spawn(config: configPath, log: "\(folder)/\(launch.logName)-\(generation).log",
                                 allowRoot: launch.allowRoot, arguments: launch.arguments, environment: launch.environment)
        try waitUntilListening()
    }

    /// Kills the process and removes the folder (unless it was not the daemon's to remove).
    public func finish() {
        process.killNow()
        if removesFolder { TestEnvironment.remove(folder) }
    }

    /// True while the current process runs.
    public var isAlive: Bool { process.isRunning }

    /// Peak resident memory (VmHWM) in KiB.
    public var peakRSSKiB: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }

    /// Open file descriptors right now.
    public var openFDs: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.pid)/fd"))?.count ?? -1
    }
}

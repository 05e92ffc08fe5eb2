import Foundation
import Glibc

/// Debian's `redis-server`, started by a test for itself: on a free loopback port or a unix socket
/// in a scratch folder, nothing written to disk (`--save ''`, `--appendonly no`), no systemd,
/// optionally with a password and an ACL user. Killed and its folder removed when released.
public final class PrivateRedis {
    /// Where Debian installs the server.
    public static let serverPath = "/usr/bin/redis-server"
    /// True when `redis-server` is installed (suites that need it are skipped otherwise).
    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: serverPath) }

    /// The scratch folder: the server's working directory, log and unix socket.
    public let folder: String
    /// The loopback port it listens on; nil when it listens on a unix socket only.
    public let port: UInt16?
    /// Its unix socket; nil when it listens on a loopback port.
    public let socketPath: String?
    /// The `requirepass` password, if any.
    public let password: String?
    private let aclUser: (name: String, password: String)?
    private var process: ChildProcess?

    /// Starts a server and returns once it accepts connections (at most 10 s). `unixSocket`
    /// picks a socket in the scratch folder instead of a port; `password` sets `requirepass`;
    /// `aclUser` adds an ACL user with every right.
    public init(unixSocket: Bool = false, password: String? = nil, aclUser: (name: String, password: String)? = nil) throws {
        folder = try TestEnvironment.temporaryFolder(prefix: "bw-redis")
        self.password = password
        self.aclUser = aclUser
        do {
            if unixSocket {
                port = nil
                socketPath = "\(folder)/redis.sock"
            } else {
                port = try TestEnvironment.freePort()
                socketPath = nil
            }
            try start()
        } catch {
            TestEnvironment.remove(folder)
            throw error
        }
    }

    deinit {
        process?.killNow()
        TestEnvironment.remove(folder)
    }

    /// Kills the server with SIGKILL (no shutdown, no goodbye to clients) and reaps it.
    public func kill() {
        process?.killNow()
        process = nil
    }

    /// Starts the server again on the same port or socket, after ``kill()``.
    public func restart() throws {
        precondition(process == nil, "kill() the server before restarting it")
        try start()
    }

    /// Everything the server wrote to its log so far.
    public var output: String { process?.output ?? "" }

    private func start() throws {
        var arguments = ["--bind", "127.0.0.1", "--port", port.map(String.init) ?? "0",
                         "--save", "", "--appendonly", "no", "--dir", folder, "--daemonize", "no",
                         "--supervised", "no", "--protected-mode", "no", "--logfile", ""]
        if let socketPath { arguments += ["--unixsocket", socketPath, "--unixsocketperm", "700"] }
        if let password { arguments += ["--requirepass", password] }
        if let aclUser { arguments += ["--user", aclUser.name, "on", ">\(aclUser.password)", "~*", "&*", "+@all"] }
        let started = try ChildProcess(Self.serverPath, arguments, logPath: "\(folder)/redis.log")
        let port = self.port, socketPath = self.socketPath
        // why a wait on the listener, not a sleep: the test may talk to it the moment it accepts.
        // And on its log line: a port taken by another test between freePort() and the start
        // would otherwise accept for it (the server then logs a bind error and exits).
        let up = TestEnvironment.waitUntil(seconds: 10) {
            !started.isRunning || (started.output.lowercased().contains("ready to accept connections")
                                   && (socketPath.map { TestEnvironment.isListening(unixPath: $0) }
                                       ?? port.map { TestEnvironment.isListening(loopbackPort: $0) } ?? false))
        }
        guard up, started.isRunning else {
            started.killNow()
            throw ChildProcess.SpawnError(description: "redis-server did not start listening:\n\(started.output)")
        }
        process = started
    }
}

import BreakwaterConfig
import Glibc
import SharedState

/// A private `redis-server` (Debian's, or `--redis-server PATH`, e.g. valkey-server) that a lab
/// run starts for itself: one loopback port and one unix socket in a scratch folder, nothing
/// written to disk, no systemd. It dies with the lab (`setpriv --pdeathsig KILL`), also when a
/// failure exits early, and `stop()` ends it at once otherwise.
final class LabRedis {
    let folder: String
    let port: UInt16
    var socketPath: String { folder + "/redis.sock" }
    private(set) var pid: pid_t = 0

    /// The two ways to reach it, as `shared_state` names them.
    var tcp: SharedStateAddress { .tcp(host: "127.0.0.1", port: port, database: 0) }
    var unix: SharedStateAddress { .unix(path: socketPath) }

    init(server: String) {
        var template = Array("/tmp/breakwater-lab-redis.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { fail("cannot make a scratch folder in /tmp") }
        folder = String(cString: made)
        port = Self.freePort()
        let arguments = ["/usr/bin/setpriv", "--pdeathsig", "KILL", "--", server,
                         "--bind", "127.0.0.1", "--port", String(port), "--unixsocket", socketPath, "--unixsocketperm", "700",
                         "--save", "", "--appendonly", "no", "--dir", folder, "--daemonize", "no", "--supervised", "no",
                         "--protected-mode", "no", "--logfile", folder + "/redis.log"]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        let spawned = posix_spawn(&pid, arguments[0], nil, nil, &argv, environ)
        guard spawned == 0 else { fail("cannot start \(server): \(String(cString: strerror(spawned)))") }
        // why a connect loop and not a sleep: it is ready when it answers PING on both addresses.
        for _ in 0..<400 {
            if (try? RedisConnection(to: tcp, timeout: .seconds(1))) != nil, (try? RedisConnection(to: unix, timeout: .seconds(1))) != nil {
                return
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { pid = 0; break }
            usleep(25_000)
        }
        let log = ProcessProbe.readFile(folder + "/redis.log") ?? ""
        stop()
        fail("\(server) did not start on port \(port):\n\(log.suffix(1_000))")
    }

    /// SIGTERM (nothing to save), reap it, remove the folder.
    func stop() {
        if pid > 0 {
            kill(pid, SIGTERM)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
            pid = 0
        }
        for name in ["redis.log", "redis.sock"] { unlink(folder + "/" + name) }
        rmdir(folder)
    }

    /// A connection for the lab's own questions (INFO, DBSIZE, FLUSHALL), not through the store.
    func admin() -> RedisConnection {
        do { return try RedisConnection(to: tcp, timeout: .seconds(10)) } catch { fail("redis: \(error.message)") }
    }

    /// `INFO memory`'s `used_memory`: what the server's allocator holds, in bytes.
    static func usedMemory(_ c: RedisConnection) -> Int {
        Int(info(c, "memory", "used_memory")) ?? 0
    }

    /// One field of `INFO section`.
    static func info(_ c: RedisConnection, _ section: String, _ field: String) -> String {
        let text = ask(c, ["INFO", section]).text ?? ""
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix(field + ":") {
            return String(line.dropFirst(field.count + 1))
        }
        return ""
    }

    /// A command whose failure ends the run (the lab's own questions).
    static func ask(_ c: RedisConnection, _ arguments: [String]) -> RedisReply {
        do { return try c.command(arguments) } catch { fail("redis \(arguments[0]): \(error.message)") }
    }

    /// A loopback port nobody listens on now (the kernel's pick for port 0).
    private static func freePort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &a) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { s in
                bind(fd, s, length) == 0 && getsockname(fd, s, &length) == 0
            }
        }
        guard bound else { fail("cannot find a free loopback port") }
        return UInt16(bigEndian: a.sin_port)
    }
}

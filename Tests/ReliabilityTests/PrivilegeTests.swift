import Foundation
import Glibc
import TestSupport
import Testing

/// Root or not. Started as root, the daemon refuses to run (exit 77) unless the config names a
/// `run_as_user` to become, or allows root (`allow_root = yes`, `--allow-root`). Only meaningful
/// when the tests themselves run as root (CI does); skipped otherwise.
@Suite("Refusing root and dropping to run_as_user", .serialized, .enabled(if: getuid() == 0, "needs root"))
struct PrivilegeTests {
    /// A config in a fresh folder, and the daemon started on it without `--allow-root`.
    static func start(_ settings: String) throws -> (folder: String, socket: String, process: ChildProcess) {
        let daemon = try TestDaemon(settings, base: "socket_group =", sizes: nil, prefix: "breakwater-privileges",
                                    allowRoot: false, waitsUntilListening: false)
        return (daemon.folder, daemon.socketPath, daemon.process)
    }

    /// The `Uid:` line of /proc/PID/status: real, effective, saved, filesystem.
    static func ids(_ pid: pid_t, _ field: String) -> [String] {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("\(field):") }) else { return [] }
        return line.dropFirst(field.count + 1).split(whereSeparator: { $0 == "\t" || $0 == " " }).map(String.init)
    }

    @Test("as root with neither run_as_user nor allow_root: exit 77 with a clear message, no socket")
    func refusesRoot() throws {
        let (folder, socket, process) = try Self.start("")
        defer { process.killNow(); TestEnvironment.remove(folder) }
        let (ending, timedOut) = process.waitForExit(within: 30)
        #expect(!timedOut)
        #expect(ending == .exited(77), "\(process.output)")
        #expect(process.output.contains("refusing to run as root: set run_as_user"), "\(process.output)")
        #expect(!FileManager.default.fileExists(atPath: socket))
    }

    @Test("allow_root = yes in the config: starts as root, stops cleanly")
    func allowRootInConfig() throws {
        let (folder, socket, process) = try Self.start("allow_root = yes")
        defer { process.killNow(); TestEnvironment.remove(folder) }
        let up = TestEnvironment.waitUntil(seconds: 20) { TestEnvironment.isListening(unixPath: socket) }
        try #require(up, "did not start:\n\(process.output)")
        #expect(Self.ids(process.pid, "Uid") == ["0", "0", "0", "0"])
        process.send(SIGTERM)
        #expect(process.waitForExit(within: 30).ending == .exited(0), "\(process.output)")
    }

    @Test("run_as_user = nobody: every uid and gid is nobody's, root cannot come back, and it still filters")
    func dropsToNobody() throws {
        let nobody = try #require(getpwnam("nobody")).pointee
        // why runAsUser: the folder is nobody's, who creates the milter socket (libmilter opens it after the drop) and writes snapshots.
        let daemon = try TestDaemon(HostileSessionTests.settings, prefix: "breakwater-privileges", runAsUser: "nobody")
        defer { daemon.finish() }
        let uid = "\(nobody.pw_uid)", gid = "\(nobody.pw_gid)"
        // why wait: the socket listens (what TestDaemon waits for) just before the drop.
        #expect(daemon.waitForLog("dropped root: running as nobody (uid \(uid), gid \(gid)"), "\(daemon.log)")
        #expect(Self.ids(daemon.process.pid, "Uid") == [uid, uid, uid, uid])
        #expect(Self.ids(daemon.process.pid, "Gid") == [gid, gid, gid, gid])
        #expect(!Self.ids(daemon.process.pid, "Groups").contains("0"))
        try HostileSessionTests.expectStillFiltering(daemon, 1, after: "dropping to nobody")
        // The snapshot is written by nobody now.
        #expect(TestEnvironment.waitUntil(seconds: 20) {
            var st = stat()
            return stat(daemon.snapshotPath, &st) == 0 && st.st_uid == nobody.pw_uid
        }, "no snapshot written by nobody:\n\(daemon.log)")
        #expect(daemon.stop().ending == .exited(0), "\(daemon.log)")
    }

    @Test("run_as_user naming a user that does not exist: exit 77, no socket")
    func unknownUser() throws {
        let (folder, socket, process) = try Self.start("run_as_user = no-such-user-bw")
        defer { process.killNow(); TestEnvironment.remove(folder) }
        let (ending, timedOut) = process.waitForExit(within: 30)
        #expect(!timedOut)
        #expect(ending == .exited(77), "\(process.output)")
        #expect(process.output.contains("cannot drop privileges: getpwnam(no-such-user-bw): no such user"), "\(process.output)")
        #expect(!FileManager.default.fileExists(atPath: socket))
    }
}

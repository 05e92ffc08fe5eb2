import BreakwaterConfig
@testable import Daemon
import Foundation
import Glibc
import TestSupport
import Testing

/// `breakwater check-config`, run as an admin would.
struct CheckConfigTests {
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Packaging/breakwater.conf").path

    /// Runs `breakwater check-config` (with `options` such as `--connect`) on `text` (written to a
    /// temp file) or on `path`.
    func check(_ text: String? = nil, path: String? = nil, options: [String] = []) throws -> (status: ChildProcess.Ending, output: String, file: String) {
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-check")
        defer { TestEnvironment.remove(folder) }
        let file = path ?? "\(folder)/test.conf"
        if let text { try text.write(toFile: file, atomically: true, encoding: .utf8) }
        let binary = try #require(TestDaemon.binary, "breakwater not built")
        let child = try ChildProcess(binary, ["check-config"] + options + [file], logPath: "\(folder)/out.log")
        let (ending, _) = child.waitForExit(within: 30)
        return (ending, child.output, file)
    }

    @Test func theShippedConfigPasses() throws {
        let r = try check(path: Self.shipped)
        #expect(r.status == .exited(0), "\(r.output)")
        #expect(r.output.contains("\(Self.shipped): OK"), "\(r.output)")
        #expect(r.output.contains("listen:   inet:127.0.0.1:8894"), "\(r.output)")
        #expect(r.output.contains("\n  shared:   off (this host's own ledger)\n"), "\(r.output)")
    }

    @Test func theShippedConfigUncommentedPassesToo() throws {
        let text = try String(contentsOfFile: Self.shipped, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            .map { line in
                line.hasPrefix("#") && line.dropFirst().first?.isLowercase == true && line.contains(" = ") ? line.dropFirst() : line
            }.joined(separator: "\n")
        let r = try check(text)
        #expect(r.status == .exited(0), "\(r.output)")
    }

    /// libmilter closes a connection idle for milter_timeout (checked every 600 s), and Postfix
    /// is silent on it while a client sends DATA: the old 30 s default dropped slow messages
    /// (Tools/reliability/idle-timeout.sh). The shipped file states the built-in default, an hour.
    @Test func theShippedMilterTimeoutIsTheDefaultAndOutlastsASlowData() throws {
        let line = try #require(String(contentsOfFile: Self.shipped, encoding: .utf8).split(separator: "\n")
            .first { $0.hasPrefix("#milter_timeout = ") })
        let config = try ConfigLoader.parse(String(line.dropFirst()) + "\n", file: "shipped", checks: .daemon).get()
        #expect(config.milterTimeout == DaemonConfig().milterTimeout)
        #expect(DaemonConfig().milterTimeout >= 3600)
    }

    @Test(arguments: [
        ("reply_all_threshold = 10\ntrehshold = 3\n", 2, "unknown key \"trehshold\" (did you mean \"reply_all_threshold\"?)"),
        ("trip_windw = 60m\n", 1, "unknown key \"trip_windw\" (did you mean \"trip_window\"?)"),
        ("# comment\n\nblock_duration = 6 hours\n", 3, "block_duration: \"6 hours\" is not a duration"),
        ("exempt_client_networks = 10.0.0.0/8,\n  192.0.2.0/33\n", 1, "exempt_client_networks: \"192.0.2.0/33\" is not a network"),
        ("storm_action = reject\nstorm_reply = 451 4.7.1 try later\n", 2, "storm_reply: code 451 does not suit storm_action = reject"),
        ("listen = inet:127.0.0.1\n", 1, "listen: \"inet:127.0.0.1\" is not a listen address"),
    ])
    func aBadFileExits78AndNamesTheLine(text: String, line: Int, message: String) throws {
        let r = try check(text)
        #expect(r.status == .exited(78), "\(r.output)")
        #expect(r.output.contains("\(r.file):\(line): \(message)"), "\(r.output)")
    }

    /// `run` as root refuses a run_as_user that does not exist (exit 77); check-config says so
    /// first, at the line, so a reload or a restart is not what finds it.
    @Test func aRunAsUserThatDoesNotExistIsAProblemAtItsLine() throws {
        let r = try check("log_level = info\nrun_as_user = no-such-user-bw\n")
        #expect(r.status == .exited(78), "\(r.output)")
        #expect(r.output.contains("\(r.file):2: run_as_user: getpwnam(no-such-user-bw): no such user"), "\(r.output)")
        let root = try check("run_as_user = root\n")
        #expect(root.status == .exited(78) && root.output.contains("that user is root"), "\(root.output)")
    }

    /// After the drop only the snapshot folder must be writable: a folder that user cannot
    /// write to is a warning (the file still passes: the daemon would run, but not save).
    @Test func aSnapshotFolderRunAsUserCannotWriteIsAWarning() throws {
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-check-snap")
        defer { TestEnvironment.remove(folder) }
        try #require(chmod(folder, 0o755) == 0)
        let r = try check("run_as_user = nobody\nsnapshot_path = \(folder)/ledger.snapshot\n")
        #expect(r.status == .exited(0), "\(r.output)")
        #expect(r.output.contains("warning: snapshot folder \(folder) is not writable by run_as_user nobody"), "\(r.output)")
        try #require(chmod(folder, 0o1777) == 0)
        let open = try check("run_as_user = nobody\nsnapshot_path = \(folder)/ledger.snapshot\n")
        #expect(open.status == .exited(0) && !open.output.contains("warning: snapshot folder"), "\(open.output)")
    }

    @Test func everyProblemIsReportedNotJustTheFirst() throws {
        let r = try check("trehshold = 3\nhard_gate = lots\nfail_action = panic\nsnapshot_interval = 10s\nlog_level = loud\n")
        #expect(r.status == .exited(78), "\(r.output)")
        for line in [1, 2, 3, 5] { #expect(r.output.contains("\(r.file):\(line): "), "line \(line): \(r.output)") }
        #expect(r.output.contains("4 problems"), "\(r.output)")
    }

    @Test func aMissingFileIsAnError() throws {
        let r = try check(path: "/nonexistent/breakwater.conf")
        #expect(r.status == .exited(78), "\(r.output)")
        #expect(r.output.contains("/nonexistent/breakwater.conf: cannot read the configuration"), "\(r.output)")
    }

    /// A FIFO named as the configuration is refused at once: opening it blocking would wait for
    /// a writer forever (check-config, and `run` at start, hung on one).
    @Test func aFIFOInPlaceOfTheConfigIsAnErrorNotAHang() throws {
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-check-fifo")
        defer { TestEnvironment.remove(folder) }
        try #require(mkfifo("\(folder)/breakwater.conf", 0o600) == 0)
        let r = try check(path: "\(folder)/breakwater.conf")
        #expect(r.status == .exited(78), "\(r.output)")
        #expect(r.output.contains("breakwater.conf: cannot read the configuration: not a regular file"), "\(r.output)")
    }

    @Test func versionAndHelpWork() throws {
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-check")
        defer { TestEnvironment.remove(folder) }
        let binary = try #require(TestDaemon.binary)
        let version = try ChildProcess(binary, ["version"], logPath: "\(folder)/v.log")
        #expect(version.waitForExit(within: 30).ending == .exited(0))
        #expect(version.output.hasPrefix("breakwater "))
        let help = try ChildProcess(binary, ["run", "--help"], logPath: "\(folder)/h.log")
        #expect(help.waitForExit(within: 30).ending == .exited(0))
        #expect(help.output.contains("smtpd_milters = inet:127.0.0.1:8894"), "\(help.output)")
    }
}

// MARK: shared_state (issue #15)

/// `--connect` and the tests that need a real redis-server are skipped without it.
private let withRedis = ConditionTrait.enabled(if: PrivateRedis.isInstalled, "needs Debian's redis-server (apt-get install redis-server)")

extension CheckConfigTests {
    /// A folder for password files, and a file in it holding `text` (mode 0640, as packaged).
    private func passwordFile(_ text: String, in folder: String) throws -> String {
        let path = "\(folder)/redis.password"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try #require(chmod(path, 0o640) == 0)
        return path
    }

    @Test func theSharedStateLineSaysWhereAndWhatHappensOnFailure() throws {
        let port = try TestEnvironment.freePort()
        // Nothing listens on the port: without --connect no network is used, so the file passes.
        let r = try check("shared_state = redis://127.0.0.1:\(port)\n")
        #expect(r.status == .exited(0), "\(r.output)")
        #expect(r.output.contains("\n  shared:   redis://127.0.0.1:\(port) (prefix breakwater:, timeout 50ms, on failure: local ledger)\n"),
                "\(r.output)")
        #expect(!r.output.contains("reachable") && !r.output.contains("cannot be used"), "\(r.output)")
        let t = try check("""
            shared_state = redis://[::1]:6380/3
            shared_state_prefix = mx-eu:
            shared_state_timeout = 2s
            shared_state_failure = tempfail
            """)
        #expect(t.status == .exited(0), "\(t.output)")
        #expect(t.output.contains("\n  shared:   redis://[::1]:6380/3 (prefix mx-eu:, timeout 2s, on failure: tempfail)\n"), "\(t.output)")
    }

    @Test func aBadSharedStateValueOrPasswordFileExits78AtItsLine() throws {
        let r = try check("log_level = info\nshared_state = redis://mx:0\nshared_state_timeout = 20s\n")
        #expect(r.status == .exited(78), "\(r.output)")
        #expect(r.output.contains(#"\#(r.file):2: shared_state: "redis://mx:0": port "0" is not a number from 1 to 65535"#), "\(r.output)")
        #expect(r.output.contains(#"\#(r.file):3: shared_state_timeout: "20s" is not a timeout from 1ms to 10s"#), "\(r.output)")
        let p = try check("shared_state = redis://127.0.0.1\nshared_state_password_file = /nonexistent/redis.password\n")
        #expect(p.status == .exited(78), "\(p.output)")
        #expect(p.output.contains(#"\#(p.file):2: shared_state_password_file: cannot use the password file "/nonexistent/redis.password": "#
            + "No such file or directory"), "\(p.output)")
    }

    @Test func aPasswordFileEveryoneCanReadIsAWarning() throws {
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-check-pw")
        defer { TestEnvironment.remove(folder) }
        let file = try passwordFile("not-shown\n", in: folder)
        let config = "shared_state = redis://127.0.0.1\nshared_state_password_file = \(file)\n"
        #expect(try !check(config).output.contains("warning:"))
        try #require(chmod(file, 0o644) == 0)
        let r = try check(config)
        #expect(r.status == .exited(0), "\(r.output)")
        #expect(r.output.contains("warning: shared_state_password_file \(file) is readable by every user (mode 644)"), "\(r.output)")
        #expect(!r.output.contains("not-shown"))
    }

    @Test func connectWithSharedStateOffUsesNoNetworkAndPasses() throws {
        let r = try check("log_level = info\n", options: ["--connect"])
        #expect(r.status == .exited(0), "\(r.output)")
        #expect(r.output.contains("  shared:   off (this host's own ledger)"), "\(r.output)")
        #expect(!r.output.contains("reachable"), "\(r.output)")
    }

    @Test(withRedis) func connectReachesARedisWithItsPassword() throws {
        let secret = "pw-\(UInt32.random(in: 1...UInt32.max))"
        let redis = try PrivateRedis(password: secret)
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-check-pw")
        defer { TestEnvironment.remove(folder) }
        let file = try passwordFile("\(secret)\n", in: folder)
        let r = try check("shared_state = redis://127.0.0.1:\(redis.port!)/2\nshared_state_password_file = \(file)\nshared_state_timeout = 2s\n",
                          options: ["--connect"])
        #expect(r.status == .exited(0), "\(r.output)")
        #expect(r.output.contains("\n  shared:   reachable (Redis "), "\(r.output)")
        #expect(!r.output.contains(secret))
    }

    @Test(withRedis) func connectReachesAnACLUserOnAUnixSocket() throws {
        let redis = try PrivateRedis(unixSocket: true, aclUser: (name: "breakwater", password: "acl-secret-77"))
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-check-pw")
        defer { TestEnvironment.remove(folder) }
        let file = try passwordFile("breakwater acl-secret-77\n", in: folder)
        let r = try check("shared_state = unix:\(redis.socketPath!)\nshared_state_password_file = \(file)\nshared_state_timeout = 2s\n",
                          options: ["--connect"])
        #expect(r.status == .exited(0), "\(r.output)")
        #expect(r.output.contains("\n  shared:   reachable (Redis "), "\(r.output)")
        #expect(!r.output.contains("acl-secret-77"))
    }

    @Test(withRedis) func aWrongPasswordFailsWithAnAuthErrorAndShowsNoPassword() throws {
        let redis = try PrivateRedis(password: "the-right-one-31")
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-check-pw")
        defer { TestEnvironment.remove(folder) }
        let file = try passwordFile("a-wrong-one-47\n", in: folder)
        let r = try check("shared_state = redis://127.0.0.1:\(redis.port!)\nshared_state_password_file = \(file)\nshared_state_timeout = 2s\n",
                          options: ["--connect"])
        #expect(r.status == .exited(69), "\(r.output)")
        #expect(r.output.contains("  shared:   cannot be used: redis redis://127.0.0.1:\(redis.port!): AUTH refused for the password: WRONGPASS"),
                "\(r.output)")
        #expect(r.output.contains("\(r.file): the shared state cannot be used; the daemon would start, but judge reply-alls on this host's own ledger"),
                "\(r.output)")
        #expect(!r.output.contains("a-wrong-one-47") && !r.output.contains("the-right-one-31"), "\(r.output)")

        // No password at all for a server that wants one: refused too.
        let none = try check("shared_state = redis://127.0.0.1:\(redis.port!)\nshared_state_timeout = 2s\nshared_state_failure = tempfail\n",
                             options: ["--connect"])
        #expect(none.status == .exited(69), "\(none.output)")
        #expect(none.output.contains("NOAUTH"), "\(none.output)")
        #expect(none.output.contains("answer 451 4.3.0 to reply-alls until it answers"), "\(none.output)")
    }

    @Test func aClosedPortFails() throws {
        let port = try TestEnvironment.freePort()
        let r = try check("shared_state = redis://127.0.0.1:\(port)\nshared_state_timeout = 2s\n", options: ["--connect"])
        #expect(r.status == .exited(69), "\(r.output)")
        #expect(r.output.contains("  shared:   cannot be used: redis redis://127.0.0.1:\(port): cannot connect to the server: Connection refused"),
                "\(r.output)")
    }

    @Test func aServerThatIsNotRedisFails() throws {
        let server = try NotRedisServer(greeting: "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
        let r = try check("shared_state = redis://127.0.0.1:\(server.port)\nshared_state_timeout = 2s\n", options: ["--connect"])
        #expect(r.status == .exited(69), "\(r.output)")
        #expect(r.output.contains("  shared:   cannot be used: redis redis://127.0.0.1:\(server.port): "), "\(r.output)")
    }

    @Test func aServerThatNeverAnswersFailsWithinTheTimeout() throws {
        let server = try NotRedisServer(greeting: nil)
        let clock = ContinuousClock()
        let start = clock.now
        let r = try check("shared_state = redis://127.0.0.1:\(server.port)\nshared_state_timeout = 300ms\n", options: ["--connect"])
        #expect(r.status == .exited(69), "\(r.output)")
        #expect(r.output.contains("no answer within 300 ms"), "\(r.output)")
        #expect(clock.now - start < .seconds(20))
    }

    @Test func theSharedStateKeysAreInTheShippedFileAndTheManual() throws {
        let shipped = try String(contentsOfFile: Self.shipped, encoding: .utf8)
        let manual = try String(contentsOfFile: Self.shipped.replacingOccurrences(of: "breakwater.conf", with: "man/breakwater.conf.5"),
                                encoding: .utf8)
        for key in ConfigLoader.keys where key.hasPrefix("shared_state") {
            #expect(shipped.contains("\n#\(key) ="), "\(key) in Packaging/breakwater.conf")
            #expect(manual.contains(".BR \(key) \" (default: "), "\(key) in breakwater.conf(5)")
        }
        #expect(ConfigLoader.keys.filter { $0.hasPrefix("shared_state") }.count == 5)
    }

    @Test func theServerVersionComesFromInfo() {
        #expect(ConfigCheck.serverVersion(info: "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n") == "Redis 7.0.15")
        #expect(ConfigCheck.serverVersion(info: "# Server\r\nredis_version:7.2.4\r\nvalkey_version:8.0.1\r\n") == "Valkey 8.0.1")
        #expect(ConfigCheck.serverVersion(info: "# Server\r\n") == nil)
    }
}

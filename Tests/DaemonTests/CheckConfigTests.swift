import BreakwaterConfig
import Daemon
import Foundation
import Glibc
import TestSupport
import Testing

/// `breakwater check-config`, run as an admin would.
struct CheckConfigTests {
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Packaging/breakwater.conf").path

    /// Runs `breakwater check-config` on `text` (written to a temp file) or on `path`.
    private func check(_ text: String? = nil, path: String? = nil) throws -> (status: ChildProcess.Ending, output: String, file: String) {
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-check")
        defer { TestEnvironment.remove(folder) }
        let file = path ?? "\(folder)/test.conf"
        if let text { try text.write(toFile: file, atomically: true, encoding: .utf8) }
        let binary = try #require(TestDaemon.binary, "breakwater not built")
        let child = try ChildProcess(binary, ["check-config", file], logPath: "\(folder)/out.log")
        let (ending, _) = child.waitForExit(within: 30)
        return (ending, child.output, file)
    }

    @Test func theShippedConfigPasses() throws {
        let r = try check(path: Self.shipped)
        #expect(r.status == .exited(0), "\(r.output)")
        #expect(r.output.contains("\(Self.shipped): OK"), "\(r.output)")
        #expect(r.output.contains("listen:   inet:127.0.0.1:8894"), "\(r.output)")
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

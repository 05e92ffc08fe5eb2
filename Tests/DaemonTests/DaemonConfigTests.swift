@testable import Daemon
import BreakwaterConfig
import Foundation
import Glibc
import Logging
import Milter
import StormCore
import TestSupport
import Testing

/// The configuration as the daemon reads it: `listen` through Milter's parser (BreakwaterConfig
/// keeps it as written), and values the daemon's parts split further.
struct DaemonConfigTests {
    private func parse(_ text: String) -> Result<DaemonConfig, ConfigErrors> {
        ConfigLoader.parse(text, file: "t.conf", checks: .daemon)
    }

    private func config(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> DaemonConfig {
        switch parse(text) {
        case .success(let c): return c
        case .failure(let e):
            Issue.record("unexpected problems: \(e)", sourceLocation: sourceLocation)
            throw e
        }
    }

    @Test func anEmptyFileListensOnTheDefaultAddress() throws {
        #expect(try config("").listenAddress == .inet(host: "127.0.0.1", port: 8894))
    }

    @Test func libmilterAndPostfixSpellingsOfListen() throws {
        #expect(try config("listen = inet:8894@127.0.0.1").listenAddress == .inet(host: "127.0.0.1", port: 8894))
        #expect(try config("listen = unix:/run/breakwater/sock").listenAddress == .unix(path: "/run/breakwater/sock"))
        #expect(try config("listen = local:/x/y").listenAddress == .unix(path: "/x/y"))
    }

    @Test func aListenAddressMilterCannotReadIsAProblemAtItsLine() {
        guard case .failure(let e) = parse("trip_replies = 4\nListen = inet:127.0.0.1\n") else {
            Issue.record("a listen address without a port was accepted")
            return
        }
        #expect(e.problems.map(\.description) == [#"t.conf:2: Listen: "inet:127.0.0.1" is not a listen address: "#
            + "missing port (write inet:HOST:PORT or inet:PORT@HOST)"])
        // Offline replay never listens: it keeps the value as written.
        #expect((try? ConfigLoader.parse("listen = inet:127.0.0.1\n", file: "t.conf", checks: .none).get())?.listen == "inet:127.0.0.1")
    }

    @Test func theLogLevelIsTheLoggersLevel() throws {
        #expect(try config("log_level = notice").loggerLevel == .notice)
        #expect(try config("").loggerLevel == .info)
    }

    /// notify_command is split on spaces; a space followed by a combining mark is still one.
    @Test func notifyCommandWordsAreSplitByScalar() throws {
        let notifier = try #require(StormNotifier(command: "/usr/local/bin/alert \u{301}x", timeout: 5,
                                                  ledger: ThreadLedger(), logger: Logger(label: "test")))
        #expect(notifier.arguments.map { $0.unicodeScalars.map(\.value) } == [Array("/usr/local/bin/alert".unicodeScalars.map(\.value)), [0x301, 0x78]])
    }

    // MARK: shared_state (issue #15)

    /// The daemon reads the password file when `shared_state` is on: one it cannot use is a problem
    /// at the `shared_state_password_file` line, and the problem never holds what the file says.
    @Test func thePasswordFileIsCheckedAtItsLine() throws {
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-shared-config")
        defer { TestEnvironment.remove(folder) }
        let secret = "S3cret-not-for-logs"
        guard case .failure(let missing) = parse("shared_state = redis://10.0.0.7\nshared_state_password_file = \(folder)/none\n") else {
            Issue.record("a missing password file was accepted")
            return
        }
        #expect(missing.problems.map(\.description) == [
            "t.conf:2: shared_state_password_file: cannot use the password file \"\(folder)/none\": No such file or directory"])
        try "\n\n".write(toFile: "\(folder)/empty", atomically: true, encoding: .utf8)
        try "user \(secret) more\n".write(toFile: "\(folder)/words", atomically: true, encoding: .utf8)
        for (name, reason) in [("empty", "it is empty"), ("words", "its first line holds 3 words")] {
            let text = "shared_state_password_file = \(folder)/\(name)\nshared_state = unix:/run/redis/redis.sock\n"
            guard case .failure(let e) = parse(text) else {
                Issue.record("\(name) was accepted")
                continue
            }
            #expect(e.problems.count == 1 && e.problems[0].line == 1 && e.problems[0].message.contains(reason), "\(e)")
            #expect(!e.description.contains(secret))
        }
        try "breakwater \(secret)\n".write(toFile: "\(folder)/good", atomically: true, encoding: .utf8)
        let shared = try #require(try config("shared_state = redis://10.0.0.7\nshared_state_password_file = \(folder)/good\n").sharedState)
        #expect(shared.passwordFile == "\(folder)/good")
    }

    /// All five keys are restart-only: the store and its connections are made once, at start.
    @Test func theSharedStateKeysAreRestartOnly() throws {
        let off = try config("")
        let keys = off.restartOnly.map(\.key)
        for key in ["shared_state", "shared_state_password_file", "shared_state_prefix", "shared_state_timeout", "shared_state_failure"] {
            #expect(keys.contains(key), "\(key)")
        }
        func changed(_ before: DaemonConfig, _ after: DaemonConfig) -> [String] {
            zip(before.restartOnly, after.restartOnly).filter { $0.0.value != $0.1.value }
                .map { "\($0.1.key): \"\($0.0.value)\" -> \"\($0.1.value)\"" }
        }
        let on = try config("shared_state = redis://10.0.0.7:6380/2\nshared_state_timeout = 2s\n")
        #expect(changed(off, on) == [#"shared_state: "" -> "redis://10.0.0.7:6380/2""#, #"shared_state_timeout: "50ms" -> "2s""#],
                "turning it on names the address and what differs from the defaults")
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-shared-config")
        defer { TestEnvironment.remove(folder) }
        try "secret\n".write(toFile: "\(folder)/pw", atomically: true, encoding: .utf8)
        let tuned = try config("""
            shared_state = redis://10.0.0.7:6380/2
            shared_state_timeout = 2s
            shared_state_prefix = mx:
            shared_state_failure = tempfail
            shared_state_password_file = \(folder)/pw
            """)
        #expect(changed(on, tuned) == [#"shared_state_password_file: "" -> "\#(folder)/pw""#, #"shared_state_prefix: "breakwater:" -> "mx:""#,
                                       #"shared_state_failure: "local" -> "tempfail""#])
        #expect(!tuned.restartOnly.contains { $0.value.contains("secret") }, "the path is shown, never the password")
        #expect(changed(off, try config("shared_state_prefix = ignored:\nshared_state_timeout = 3s\n")) == [],
                "while shared_state is empty the others are ignored")
    }

    /// On the real binary: a SIGUSR1 that turns shared_state on keeps the daemon as it was and says
    /// a restart is needed, naming each key that changed.
    @Test func aReloadThatTurnsSharedStateOnSaysToRestart() throws {
        let daemon = try TestDaemon("")
        defer { daemon.finish() }
        try daemon.writeConfig("shared_state = unix:/nonexistent/redis.sock\nshared_state_failure = tempfail\nshared_state_prefix = breakwater:")
        #expect(daemon.reload(), "\(daemon.log)")
        #expect(daemon.log.contains(#"shared_state changed from "" to "unix:/nonexistent/redis.sock": restart breakwater to apply it"#),
                "\(daemon.log)")
        #expect(daemon.log.contains(#"shared_state_failure changed from "local" to "tempfail": restart breakwater"#), "\(daemon.log)")
        #expect(!daemon.log.contains("shared_state_prefix changed"), "the prefix is the default: no news")
    }

    /// The admin commands read the configuration only to find the control socket: a password
    /// file they cannot read (they may run as another user than the daemon) is none of theirs.
    @Test func theAdminCommandsDoNotOpenThePasswordFile() throws {
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-shared-admin")
        defer { TestEnvironment.remove(folder) }
        try "shared_state = redis://10.0.0.7\nshared_state_password_file = \(folder)/missing\ncontrol_socket = \(folder)/control.sock\n"
            .write(toFile: "\(folder)/b.conf", atomically: true, encoding: .utf8)
        let binary = try #require(TestDaemon.binary, "breakwater not built")
        let child = try ChildProcess(binary, ["stats", "--config", "\(folder)/b.conf"], logPath: "\(folder)/out.log")
        #expect(child.waitForExit(within: 30).ending == .exited(69), "\(child.output)")
        #expect(child.output.contains("cannot reach the daemon at \(folder)/control.sock"), "\(child.output)")
    }
}

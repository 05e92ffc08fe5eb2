@testable import Daemon
import BreakwaterConfig
import Logging
import Milter
import StormCore
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
}

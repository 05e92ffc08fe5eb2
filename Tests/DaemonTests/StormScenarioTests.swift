import Foundation
import Glibc
import StormCore
import TestSupport
import Testing

/// The real `breakwater` binary on a unix socket, driven by Debian's `miltertest` running the
/// scripts in lua/ (an MTA side nobody here wrote). Each test has its own daemon, so they run
/// in parallel.
@Suite(.enabled(if: Miltertest.isInstalled, "needs Debian's miltertest"))
struct StormScenarioTests {
    /// Starts a daemon with `settings`, runs `body`, and always cleans up.
    private func withDaemon(_ settings: String, _ body: (TestDaemon) throws -> Void) throws {
        let daemon = try TestDaemon(settings)
        defer { daemon.finish() }
        try body(daemon)
    }

    private func expectPassed(_ result: (passed: Bool, output: String), _ daemon: TestDaemon,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.passed, "miltertest: \(result.output)\ndaemon log:\n\(daemon.log)", sourceLocation: sourceLocation)
    }

    @Test func aDirectReplyPasses() throws {
        try withDaemon("hard_gate = 20") { daemon in
            expectPassed(try daemon.script("direct"), daemon)
            #expect(!daemon.log.contains("breakwater: reject"), "\(daemon.log)")
        }
    }

    @Test func aReplyAllPastTheHardGateIsRejectedWithTheConfiguredText() throws {
        try withDaemon("""
            hard_gate = 40
            hard_gate_reply = 553 5.7.2 Too many: {audience} recipients for "{subject}" ({rule})
            """) { daemon in
            expectPassed(try daemon.script("hardgate", [
                "code": "553", "enhanced": "5.7.2", "text": "Too many: 51 recipients for \"Welcome\" (hard-gate)"]), daemon)
            #expect(daemon.log.contains("QID2: breakwater: reject rule=hard-gate"), "\(daemon.log)")
        }
    }

    @Test func aStormTripsAndLaterRepliesAreRejected() throws {
        try withDaemon("storm_reply = 550 5.7.1 Storm in {subject} after {replies} replies") { daemon in
            expectPassed(try daemon.script("storm", [
                "root": "root-reject@example.test", "trips": "2", "mode": "reject",
                "code": "550", "enhanced": "5.7.1", "text": "Storm in Welcome after 2 replies"]), daemon)
            #expect(daemon.waitForLog("breakwater: storm tripped"), "\(daemon.log)")
            #expect(daemon.log.contains("breakwater: reject rule=storm from=<user3@example.test>"), "\(daemon.log)")
        }
    }

    @Test func aStormCanDeferInstead() throws {
        try withDaemon("""
            storm_action = defer
            storm_reply = 451 4.7.1 Storm, try later
            """) { daemon in
            expectPassed(try daemon.script("storm", [
                "root": "root-defer@example.test", "trips": "2", "mode": "defer",
                "code": "451", "enhanced": "4.7.1", "text": "Storm, try later"]), daemon)
        }
    }

    @Test func aStormCanHoldInstead() throws {
        try withDaemon("""
            storm_action = hold
            storm_reply = held: storm in {subject}
            """) { daemon in
            expectPassed(try daemon.script("storm", [
                "root": "root-hold@example.test", "trips": "2", "mode": "hold", "text": "held: storm in Welcome"]), daemon)
            #expect(daemon.log.contains("breakwater: hold rule=storm"), "\(daemon.log)")
        }
    }

    @Test func tagModeOnlyAddsAHeader() throws {
        let root = "root-tag@example.test"
        let header = "would-stop; rule=storm; audience=51; replies=2; thread=\(MessageKey(root))"
        try withDaemon("storm_action = tag") { daemon in
            expectPassed(try daemon.script("storm", ["root": root, "trips": "2", "mode": "tag", "header": header]), daemon)
        }
    }

    @Test func trimLeavesOnlyTheAuthor() throws {
        try withDaemon("storm_action = trim") { daemon in
            expectPassed(try daemon.script("storm", ["root": "root-trim@example.test", "trips": "2", "mode": "trim"]), daemon)
            #expect(daemon.log.contains("breakwater: trim rule=storm"), "\(daemon.log)")
        }
    }

    @Test func anExemptSenderPassesDuringAStorm() throws {
        try withDaemon("""
            exempt_senders = ceo@example.test, @board.example.test
            storm_reply = 550 5.7.1 Storm
            """) { daemon in
            expectPassed(try daemon.script("storm", [
                "root": "root-exempt@example.test", "trips": "2", "mode": "exempt",
                "code": "550", "enhanced": "5.7.1", "text": "Storm"]), daemon)
        }
    }

    @Test func mailCannotForgeALogLine() throws {
        try withDaemon("hard_gate = 40") { daemon in
            expectPassed(try daemon.script("inject"), daemon)
            #expect(daemon.waitForLog("rule=hard-gate"), "\(daemon.log)")
            let lines = daemon.log.split(separator: "\n")
            let decisions = lines.filter { $0.contains("breakwater: reject") }
            #expect(decisions.count == 1, "\(daemon.log)")
            #expect(!lines.contains { $0.hasPrefix("NOQUEUE: breakwater: forged") || $0.hasPrefix("another") },
                    "\(daemon.log)")
            #expect(decisions.first?.contains(#"subject="Re: hello\r\nNOQUEUE: breakwater: forged line\nanother\x01""#) == true,
                    "\(daemon.log)")
        }
    }
}

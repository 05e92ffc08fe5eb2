import Foundation
import Testing
import MilterWire
@testable import Replay
import TestSupport

/// Live replay against the C null filter on real libmilter, in both of its negotiations.
@Suite("Live replay against the null filter")
struct LiveReplayTests {
    static let checks = """
    session tagged
    connect client.example inet 192.0.2.1 4000
    helo client.example
    macro mail i Q1
    mail <alice@example.org>
    rcpt <bob@example.org>
    header Subject: hello
    body Hi Bob.
    eom
    expect accept
    expect header X-Null ~ seen
    expect header X-Null-Rcpts ~ 1
    expect no-header X-Other

    mail <alice@example.org>
    rcpt <bob@example.org>
    header X-Test-Reply: yes
    eom
    expect reject 550 5.7.1 ~ blocked by test

    mail <alice@example.org>
    rcpt <first@example.org>
    rcpt <second@example.org>
    header X-Test-Rcpt: yes
    header X-Test-Quarantine: yes
    eom
    expect quarantine ~ held by test
    expect rcpt-added <added@test>
    expect rcpt-deleted <first@example.org>

    mail <alice@example.org>
    rcpt <bob@example.org>
    abort
    expect continue
    """

    func run(_ text: String, against filter: NullFilter, concurrency: Int = 1, repeats: Int = 1) throws -> LiveReport {
        let file = try SessionParser.parse(text, name: "live.session")
        let options = LiveReplay.Options(files: [], endpoint: filter.endpoint, concurrency: concurrency, repeats: repeats,
                                         timeout: .seconds(10))
        return LiveReplay.run([file], endpoint: try MilterEndpoint(parsing: filter.endpoint), options: options)
    }

    @Test(arguments: [false, true])
    func headersRepliesRecipientsAndQuarantineAreSeen(answersOnlyEndOfMessage: Bool) throws {
        let filter = try NullFilter(answersOnlyEndOfMessage: answersOnlyEndOfMessage)
        let r = try run(Self.checks, against: filter)
        #expect(r.errors.isEmpty)
        #expect(r.tally.failures.isEmpty)
        #expect(r.tally.passed == 9)
        #expect(r.exitStatus == 0)
        #expect(r.messages == 4)
        #expect(r.latency.count == 3)
        #expect(r.text.hasSuffix("9 passed, 0 failed\n"))
    }

    @Test(arguments: [false, true])
    func aWrongExpectationFailsWithFileLineAndWhatCameBack(answersOnlyEndOfMessage: Bool) throws {
        let filter = try NullFilter(answersOnlyEndOfMessage: answersOnlyEndOfMessage)
        let r = try run("""
        session wrong
        mail <alice@example.org>
        rcpt <bob@example.org>
        eom
        expect reject 550
        expect header X-Null
        """, against: filter)
        #expect(r.tally.passed == 1)
        #expect(r.tally.failed == 1)
        #expect(r.tally.failures.map(\.description) == [
            "live.session:5: expected reject 550, got accept (session wrong, message 1 (line 2))"])
        #expect(r.exitStatus == 1)
        #expect(r.text.hasSuffix("1 passed, 1 failed\n"))
    }

    @Test func earlyVerdictsStopTheMessageWhereTheFilterSaysSo() throws {
        // Only the default negotiation answers before end of message.
        let filter = try NullFilter(answersOnlyEndOfMessage: false)
        let r = try run("""
        mail <reject-at-mail@example.org>
        rcpt <bob@example.org>
        eom
        expect reject

        mail <alice@example.org>
        rcpt <refuse@example.org>
        rcpt <bob@example.org>
        header X-Early: discard
        eom
        expect discard
        expect no-header X-Null

        mail <alice@example.org>
        rcpt <bob@example.org>
        header X-Early: accept
        eom
        expect accept
        expect no-header X-Null
        """, against: filter)
        #expect(r.tally.failures.isEmpty)
        #expect(r.tally.passed == 5)
    }

    @Test func fourConnectionsFiftyTimesOverCountEverything() throws {
        let filter = try NullFilter(answersOnlyEndOfMessage: true)
        let r = try run(Self.checks, against: filter, concurrency: 4, repeats: 50)
        #expect(r.errors.isEmpty)
        #expect(r.sessions == 50)
        #expect(r.messages == 200)
        #expect(r.tally.passed == 450)
        #expect(r.tally.failed == 0)
        #expect(r.latency.count == 150)
        #expect(r.latency.p50 <= r.latency.p90 && r.latency.p90 <= r.latency.p99 && r.latency.p99 <= r.latency.max)
        #expect(r.json.contains("\"passed\" : 450"))
    }

    @Test func aFilterThatIsNotThereIsAConnectionErrorWithStatusTwo() throws {
        let file = try SessionParser.parse("mail <a@b>\nrcpt <c@d>\neom\nexpect accept\n", name: "t")
        let options = LiveReplay.Options(files: [], endpoint: "unix:/nonexistent/milter.sock")
        let r = LiveReplay.run([file], endpoint: .unix(path: "/nonexistent/milter.sock"), options: options)
        #expect(r.exitStatus == 2)
        #expect(r.tally.failed == 1)
        #expect(r.errors.count == 1)
        #expect(r.errors[0].contains("cannot connect to unix:/nonexistent/milter.sock"))
    }

    @Test func badOptionsAreUsageErrors() {
        let r = LiveReplay.run(LiveReplay.Options(files: [], endpoint: "carrier:pigeon", concurrency: 0))
        #expect(r.exitStatus == 2)
        #expect(r.problems.count == 2)
    }
}

import Testing
import MilterWire
@testable import Replay

/// `expect any-order POOL …`: a storm played over several connections is judged by how many
/// reply-alls passed and how many were stopped, not by which ones.
@Suite("Any-order expectations")
struct AnyOrderTests {
    /// 40 repliers and 13 direct replies, storm-only policy: 10 reply-alls pass, 30 are stopped.
    func storm(anyOrder: Bool) -> [Session] {
        var s = StormScenario()
        s.audience = 840_000
        s.list = "all@nhs40.example"
        s.repliers = 40
        s.expectPolicy = PolicyModel.Settings.named("storm-only")!
        s.policyName = "storm-only"
        s.anyOrder = anyOrder
        return Array(s.generate().file.sessions.dropFirst())  // the original goes first, on its own
    }

    static let accepted = Observation.decided(FilterOutcome(verdict: .accept))
    static let stopped = Observation.decided(FilterOutcome(verdict: .reply(
        try! SMTPReply(parsing: "550 5.7.1 This reply-all storm is blocked until 16:00 UTC"))))

    /// The tally of `sessions` as a filter that lets the first `passing` reply-alls to arrive
    /// through would leave it, the sessions arriving in `arrival` order, split over `workers`
    /// tallies merged at the end (as LiveReplay's connections do).
    func tally(_ sessions: [Session], arrival: [Int], passing: Int, workers: Int = 1) -> ExpectationTally {
        var parts = Array(repeating: ExpectationTally(), count: workers)
        var replyAlls = 0
        for (n, i) in arrival.enumerated() {
            let session = sessions[i]
            var observed = Self.accepted
            if session.name.hasPrefix("reply-all-") {
                replyAlls += 1
                if replyAlls > passing { observed = Self.stopped }
            }
            parts[n % workers].check(session.messages[0], index: 0, in: session, observed: observed)
        }
        var total = ExpectationTally()
        for p in parts { total.merge(p) }
        total.settle()
        return total
    }

    @Test("whatever order 16 connections deliver in, the counts hold: 0 failed")
    func countsHoldInAnyOrder() {
        let sessions = storm(anyOrder: true)
        #expect(sessions.count == 53)
        var random = SeededRandom(seed: 42)
        for _ in 0..<20 {
            let arrival = Array(sessions.indices).shuffled(using: &random)
            let t = tally(sessions, arrival: arrival, passing: 10, workers: 16)
            #expect(t.failed == 0, "\(t.failures)")
            #expect(t.passed == 53)
            #expect(t.pending.isEmpty)
        }
    }

    @Test("per-message expectations fail for the same run when the order is not the file's")
    func perMessageExpectationsDependOnOrder() {
        let sessions = storm(anyOrder: false)
        var random = SeededRandom(seed: 42)
        let arrival = Array(sessions.indices).shuffled(using: &random)
        #expect(tally(sessions, arrival: arrival, passing: 10).failed > 0)
        #expect(tally(sessions, arrival: Array(sessions.indices), passing: 10).failed == 0)
    }

    @Test("wrong counts still fail: two reply-alls too many passed, or none was stopped")
    func wrongCountsFail() throws {
        let sessions = storm(anyOrder: true)
        let twelve = tally(sessions, arrival: Array(sessions.indices).reversed(), passing: 12, workers: 3)
        #expect(twelve.failed == 2)
        #expect(twelve.passed == 51)
        let failure = try #require(twelve.failures.first)
        #expect(failure.expected == .anyOrder(pool: "reply-alls",
                                              .reject(code: 550, enhancedCode: "5.7.1", text: "is blocked until")))
        #expect(failure.got.hasPrefix("accept (pool reply-alls: accept expected 10, got 12; "))
        #expect(failure.description.contains("expected any-order reply-alls reject 550 5.7.1 ~ is blocked until, got accept"))

        let none = tally(sessions, arrival: Array(sessions.indices), passing: 1_000)
        #expect(none.failed == 30)
        #expect(none.passed == 23)
    }

    @Test("settle is idempotent and a tally without pools is untouched")
    func settleTwice() {
        let sessions = storm(anyOrder: true)
        var t = tally(sessions, arrival: Array(sessions.indices), passing: 10)
        let once = t
        t.settle()
        #expect(t == once)
        var plain = tally(storm(anyOrder: false), arrival: Array(sessions.indices), passing: 10)
        let before = plain
        plain.settle()
        #expect(plain == before && plain.passed == 53)
    }

    @Test("the file spells it `expect any-order POOL …`, and the writer writes it back")
    func syntax() throws {
        let text = """
            session a
            mail <x@example.org>
            rcpt <all@example.org>
            eom
            expect any-order reply-alls reject 550 5.7.1 ~ is blocked until
            expect any-order other accept

            """
        let file = try SessionParser.parse(text, name: "t")
        let kinds = file.sessions[0].messages[0].expectations.map(\.kind)
        #expect(kinds == [.anyOrder(pool: "reply-alls", .reject(code: 550, enhancedCode: "5.7.1", text: "is blocked until")),
                          .anyOrder(pool: "other", .accept)])
        let written = SessionWriter.text(file)
        #expect(written.contains("expect any-order reply-alls reject 550 5.7.1 ~ is blocked until\n"))
        #expect(written.contains("expect any-order other accept\n"))
        for bad in ["expect any-order reply-alls", "expect any-order p any-order q accept", "expect any-order p frobnicate"] {
            #expect(throws: SessionFileError.self) {
                _ = try SessionParser.parse("session a\nmail <x@example.org>\nrcpt <y@example.org>\neom\n\(bad)\n", name: "t")
            }
        }
    }

    @Test("generate storm --any-order: reply-alls in one pool, direct replies per message")
    func generatorWritesThePool() {
        let sessions = storm(anyOrder: true)
        let replyAlls = sessions.filter { $0.name.hasPrefix("reply-all-") }.flatMap(\.messages)
        #expect(replyAlls.count == 40)
        let pool = replyAlls.flatMap(\.expectations).map(\.kind)
        #expect(pool.filter { $0 == .anyOrder(pool: "reply-alls", .accept) }.count == 10)
        #expect(pool.filter { if case .anyOrder(_, .reject) = $0 { true } else { false } }.count == 30)
        let direct = sessions.filter { $0.name.hasPrefix("direct-") }.flatMap(\.messages).flatMap(\.expectations).map(\.kind)
        #expect(direct.count == 13 && direct.allSatisfy { $0 == .accept })
    }
}

@testable import Milter
import Testing

struct ReplyTextTests {
    @Test func percentIsDoubledAndLineBreaksBecomeSpaces() throws {
        let reply = try #require(ReplyText(permanent: true, code: 550, enhanced: "5.7.1", text: ["100% sure\r\nBcc: x"]))
        #expect(reply.lines == ["100%% sure  Bcc: x"])
    }

    @Test func controlAndNonASCIICharactersAreReplaced() throws {
        let reply = try #require(ReplyText(permanent: false, code: 451, enhanced: nil, text: ["a\u{0}b\tc\u{7F}d é"]))
        #expect(reply.lines == ["a b c d ?"])
    }

    @Test func longLinesAreCutTo980WithoutSplittingAPercentPair() throws {
        let reply = try #require(ReplyText(permanent: true, code: 550, enhanced: nil, text: [String(repeating: "a", count: 979) + "%b"]))
        #expect(reply.lines[0].count == 979)
        let plain = try #require(ReplyText(permanent: true, code: 550, enhanced: nil, text: [String(repeating: "x", count: 2000)]))
        #expect(plain.lines[0].count == ReplyText.maximumLineLength)
    }

    @Test func atMostEightLinesAreKept() throws {
        let reply = try #require(ReplyText(permanent: true, code: 550, enhanced: nil, text: (1...12).map { "line \($0)" }))
        #expect(reply.lines == (1...8).map { "line \($0)" })
    }

    @Test func noTextMeansTheMTAsDefaultText() {
        #expect(ReplyText(permanent: true, code: 550, enhanced: "5.7.1", text: []) == nil)
    }

    @Test(arguments: [
        (true, 550, "550"), (true, 554, "554"), (true, 451, "550"), (true, 250, "550"), (true, 599, "550"),
        (true, 5500, "550"), (false, 421, "421"), (false, 451, "451"), (false, 550, "451"), (false, 99, "451"),
    ])
    func theActionDecidesTheCodeClass(permanent: Bool, code: Int, sent: String) throws {
        let reply = try #require(ReplyText(permanent: permanent, code: code, enhanced: nil, text: ["x"]))
        #expect(reply.code == sent)
    }

    @Test(arguments: [
        (true, "5.7.1", "5.7.1"), (true, "4.7.1", "5.7.1"), (false, "5.7.26", "4.7.26"),
        (true, "5.7", nil), (true, "x.7.1", nil), (true, "5.7.1 text", nil), (true, "5.1234.1", nil), (true, "", nil),
    ] as [(Bool, String, String?)])
    func enhancedStatusIsForcedToTheClassOrDropped(permanent: Bool, given: String, sent: String?) throws {
        let reply = try #require(ReplyText(permanent: permanent, code: permanent ? 550 : 451, enhanced: given, text: ["x"]))
        #expect(reply.enhanced == sent)
    }

    @Test func earlyAcceptIsSentAsContinueSoNoRecipientGoesUncounted() {
        #expect(ReplyApplier.status(for: .accept, context: nil, endOfMessage: false) == CallbackStatus.proceed.rawValue)
        #expect(ReplyApplier.status(for: .accept, context: nil, endOfMessage: true) == CallbackStatus.accept.rawValue)
        #expect(ReplyApplier.status(for: .continue, context: nil, endOfMessage: true) == CallbackStatus.proceed.rawValue)
        #expect(ReplyApplier.status(for: .discard, context: nil, endOfMessage: true) == CallbackStatus.discard.rawValue)
    }

    @Test func rejectAndTempfailWithoutTextKeepTheirStatus() {
        let reject = Reply.reject(code: 550, enhanced: nil, text: [])
        let tempfail = Reply.tempfail(code: 451, enhanced: nil, text: [])
        #expect(ReplyApplier.status(for: reject, context: nil, endOfMessage: true) == CallbackStatus.reject.rawValue)
        #expect(ReplyApplier.status(for: tempfail, context: nil, endOfMessage: true) == CallbackStatus.tempfail.rawValue)
    }
}

import Testing
@testable import MilterWire

private func decode(_ bytes: [UInt8]) throws -> FilterResponse {
    let decoded = try frames(in: bytes)
    try #require(decoded.count == 1)
    return try FilterResponse(frame: decoded[0])
}

@Test func verdictsWithoutPayload() throws {
    #expect(try decode([0, 0, 0, 1, 0x61]) == .accept)
    #expect(try decode([0, 0, 0, 1, 0x63]) == .continue)
    #expect(try decode([0, 0, 0, 1, 0x64]) == .discard)
    #expect(try decode([0, 0, 0, 1, 0x72]) == .reject)
    #expect(try decode([0, 0, 0, 1, 0x74]) == .tempfail)
    #expect(try decode([0, 0, 0, 1, 0x70]) == .progress)
    #expect(try decode([0, 0, 0, 1, 0x73]) == .skip)
    #expect(try decode([0, 0, 0, 1, 0x34]) == .shutdown)
    #expect(try decode([0, 0, 0, 1, 0x66]) == .connectionFailure)
}

@Test func replyCodeIsParsedIntoCodeEnhancedCodeAndText() throws {
    let response = try decode([0, 0, 0, 27, 0x79] + ascii("550 5.7.1 blocked by test\0"))
    guard case let .replyCode(reply) = response else { Issue.record("got \(response)"); return }
    #expect(reply.code == 550)
    #expect(reply.enhancedCode == "5.7.1")
    #expect(reply.text == "blocked by test")
    #expect(reply.raw == "550 5.7.1 blocked by test")
}

/// The reply is bytes: a blank followed by a combining mark (U+0301) is one Swift Character,
/// but still the blank that ends the codes.
@Test func replyWordsAreSplitByScalarNotByCharacter() throws {
    func scalars(_ s: some StringProtocol) -> [UInt32] { s.unicodeScalars.map(\.value) }
    let reply = try SMTPReply(parsing: "550 5.7.1 \u{301}text")
    #expect(reply.enhancedCode == "5.7.1")
    #expect(scalars(reply.text) == scalars("\u{301}text"))
    let multi = try SMTPReply(parsing: "550-5.7.1 a\r\n550 \u{301}b")
    #expect(scalars(multi.text) == scalars("a\n\u{301}b"))
}

@Test func multiLineReplyCodeKeepsEveryLinesText() throws {
    let reply = try SMTPReply(parsing: "451-4.7.1 storm in thread\r\n451 4.7.1 try later")
    #expect(reply.code == 451)
    #expect(reply.enhancedCode == "4.7.1")
    #expect(reply.text == "storm in thread\ntry later")
    let bare = try SMTPReply(parsing: "554 no enhanced code here")
    #expect(bare.enhancedCode == nil)
    #expect(bare.text == "no enhanced code here")
}

@Test func replyCodeThatIsNot4xxOr5xxIsRefused() {
    #expect(throws: WireError.malformedReplyCode("250 ok")) { try decode(responseFrame("y", ascii("250 ok\0"))) }
    #expect(throws: WireError.malformedReplyCode("5x0")) { try decode(responseFrame("y", ascii("5x0\0"))) }
    #expect(throws: WireError.missingTerminator(.replyCode, field: "reply")) {
        try decode(responseFrame("y", ascii("550 5.7.1 x")))
    }
}

@Test func recipientAndSenderChanges() throws {
    #expect(try decode([0, 0, 0, 7, 0x2B] + ascii("<a@b>\0")) == .addRecipient("<a@b>"))
    #expect(try decode([0, 0, 0, 7, 0x2D] + ascii("<a@b>\0")) == .deleteRecipient("<a@b>"))
    #expect(try decode(responseFrame("2", ascii("<a@b>\0NOTIFY=NEVER\0")))
        == .addRecipientWithArguments("<a@b>", arguments: "NOTIFY=NEVER"))
    #expect(try decode(responseFrame("2", ascii("<a@b>\0"))) == .addRecipientWithArguments("<a@b>", arguments: nil))
    #expect(try decode(responseFrame("e", ascii("<new@b>\0"))) == .changeSender("<new@b>", arguments: nil))
}

@Test func headerChangesCarryIndexNameAndValue() throws {
    #expect(try decode([0, 0, 0, 13, 0x68] + ascii("X-Null\0seen\0")) == .addHeader(name: "X-Null", value: "seen"))
    #expect(try decode([0, 0, 0, 13, 0x6D, 0, 0, 0, 2] + ascii("Subj\0ok\0"))
        == .changeHeader(index: 2, name: "Subj", value: "ok"))
    #expect(try decode([0, 0, 0, 10, 0x69, 0, 0, 0, 0] + ascii("X-A\0\0"))
        == .insertHeader(index: 0, name: "X-A", value: ""))
}

@Test func quarantineBodyAndMacroList() throws {
    #expect(try decode(responseFrame("q", ascii("held\0"))) == .quarantine(reason: "held"))
    #expect(try decode([0, 0, 0, 4, 0x62, 1, 0, 2]) == .replaceBody([1, 0, 2]))
    #expect(try decode(responseFrame("l", word(2) + ascii("i {mail_addr}\0"))) == .setMacroList(.mail, ["i", "{mail_addr}"]))
}

@Test func negotiationAnswerWithMacroListsPerStage() throws {
    let bytes: [UInt8] = [0, 0, 0, 43, 0x4F,
                          0, 0, 0, 6,
                          0, 0, 0, 0x21,            // addHeaders | quarantine
                          0, 0x04, 0xC0, 0x80]      // NR_EOH | NR_RCPT | NR_MAIL | NR_HDR
        + [0, 0, 0, 2] + ascii("i {mail_addr}\0")
        + [0, 0, 0, 5] + ascii("i\0")
        + [0, 0, 0, 0] + ascii("j\0")
    let response = try decode(bytes)
    #expect(response == .negotiation(Negotiation(
        version: 6, actions: [.addHeaders, .quarantine],
        flags: [.noReplyEndOfHeaders, .noReplyRcpt, .noReplyMail, .noReplyHeader],
        macros: [.mail: ["i", "{mail_addr}"], .endOfMessage: ["i"], .connect: ["j"]])))
}

@Test func malformedPayloadsAreTypedErrors() {
    #expect(throws: WireError.unknownResponse(code: 0x5A)) { try decode(responseFrame("Z")) }
    #expect(throws: WireError.unexpectedPayload(.accept, extraBytes: 2)) { try decode(responseFrame("a", [1, 2])) }
    #expect(throws: WireError.truncatedPayload(.addHeader, field: "header value")) {
        try decode(responseFrame("h", ascii("X-Null\0")))
    }
    #expect(throws: WireError.missingTerminator(.addHeader, field: "header value")) {
        try decode(responseFrame("h", ascii("X-Null\0seen")))
    }
    #expect(throws: WireError.truncatedPayload(.changeHeader, field: "header index")) {
        try decode(responseFrame("m", [0, 1]))
    }
    #expect(throws: WireError.truncatedPayload(.optionNegotiation, field: "protocol flags")) {
        try decode(responseFrame("O", word(6) + word(1)))
    }
    #expect(throws: WireError.invalidMacroStage(9)) {
        try decode(responseFrame("O", word(6) + word(1) + word(0) + word(9) + ascii("i\0")))
    }
    #expect(throws: WireError.truncatedPayload(.addRecipient, field: "recipient")) { try decode(responseFrame("+")) }
}

@Test func garbageNeverCrashesTheDecoder() {
    // A fixed pseudo-random walk over short frames of every code byte: each must decode or
    // throw a WireError; reaching the end without a trap is the point.
    var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
    var outcomes = 0
    for _ in 0..<5000 {
        seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let count = Int(seed >> 59)
        var payload: [UInt8] = []
        for i in 0..<count { payload.append(UInt8(truncatingIfNeeded: seed >> (i % 8 * 8)) & (i.isMultiple(of: 3) ? 0 : 0xFF)) }
        let frame = Frame(code: UInt8(truncatingIfNeeded: seed >> 32), payload: payload)
        do { _ = try FilterResponse(frame: frame) } catch { _ = error.description }
        outcomes += 1
    }
    #expect(outcomes == 5000)
}

/// The macro list a filter asks for is split on spaces by byte, as MTAs do: a space followed by
/// a combining mark (U+0301) is one Swift Character, yet still separates two names.
@Test func macroListIsSplitByScalarNotByCharacter() throws {
    var reader = PayloadReader(.optionNegotiation, [0, 0, 0, 2] + Array("i \u{301}x {mail_addr}".utf8) + [0])
    let (stage, names) = try Negotiation.macroList(&reader)
    #expect(stage == .mail)
    #expect(names.map { $0.unicodeScalars.map(\.value) } == [[0x69], [0x301, 0x78], Array("{mail_addr}".unicodeScalars.map(\.value))])
}

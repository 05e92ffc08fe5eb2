import Glibc
import Testing
@testable import MilterWire

// The client against a scripted filter over a socket pair: the filter's answers are queued
// before the client asks, and what the client sent is read back and checked.

private let quick = MilterClient.Configuration(timeout: .seconds(2))
private let envelopeOnly: ProtocolFlags = [.noConnect, .noHelo]

private func client(_ filter: ScriptedFilter, flags: ProtocolFlags,
                    macros: [(UInt32, String)] = []) throws -> MilterClient {
    filter.answer(negotiationReply(flags: flags, macros: macros))
    return try MilterClient(adopting: dup(filter.clientFD), configuration: quick)
}

private let threeRecipients = MilterMessage(
    sender: "<alice@example.org>", recipients: ["<a@x>", "<b@x>", "<c@x>"],
    headers: [HeaderField(name: "Subject", value: "hi"), HeaderField(name: "Message-ID", value: "<1@x>")],
    body: ascii("hello\r\n"))

@Test func earlyRejectAtMailStopsTheMessageAndAbortsIt() throws {
    let filter = ScriptedFilter()
    let milter = try client(filter, flags: envelopeOnly)
    try milter.connect(hostname: "mx", address: .inet(address: "192.0.2.1", port: 4321))
    try milter.helo("mx")
    filter.answer(responseFrame("r"))
    let result = try milter.send(threeRecipients)
    #expect(result.verdict == .reject)
    #expect(result.decidedAt == .mail)
    milter.quit()
    #expect(letters(try filter.received()) == "OMAQ", "nothing after the reject but abort and quit")
}

@Test func noReplyStepsAreSentInOneWriteAndNotAwaited() throws {
    let filter = ScriptedFilter()
    let milter = try client(filter, flags: [.noConnect, .noHelo, .noBody, .noData, .noUnknown, .noReplyMail,
                                            .noReplyRcpt, .noReplyHeader, .noReplyEndOfHeaders])
    try milter.connect(hostname: "mx", address: .unknown)
    try milter.helo("mx")
    filter.answer(responseFrame("h", ascii("X-Null\0seen\0")) + responseFrame("c"))
    let result = try milter.send(threeRecipients)
    #expect(result.verdict == .accept, "continue at end of message means accept")
    #expect(result.addedHeaders == [HeaderField(name: "X-Null", value: "seen")])
    #expect(milter.statistics.roundTrips == 2, "negotiation and end of message only")
    #expect(milter.statistics.writes == 2)
    #expect(letters(try filter.received()) == "OMRRRLLNE")
}

@Test func everyStepIsAwaitedWhenTheFilterAnswersEverything() throws {
    let filter = ScriptedFilter()
    let milter = try client(filter, flags: [])
    // connect, helo, mail, 3 rcpt, data, 2 headers, eoh, body: continue; eom: accept
    filter.answer(Array(repeating: responseFrame("c"), count: 11).flatMap { $0 } + responseFrame("a"))
    try milter.connect(hostname: "mx", address: .inet(address: "127.0.0.1", port: 25))
    try milter.helo("mx")
    let result = try milter.send(threeRecipients)
    #expect(result.verdict == .accept)
    #expect(milter.statistics.roundTrips == 13)
    #expect(letters(try filter.received()) == "OCHMRRRTLLNBE")
}

@Test func macrosFollowTheFiltersListAndOtherwiseAllAreSent() throws {
    let filter = ScriptedFilter()
    let milter = try client(filter, flags: envelopeOnly.union([.noReplyMail, .noReplyRcpt]),
                            macros: [(2, "i {mail_addr}")])
    try milter.connect(hostname: "mx", address: .unknown)
    try milter.mail(from: "<a@x>", macros: ["i": "Q1", "{mail_addr}": "a@x", "{auth_type}": "PLAIN"])
    try milter.rcpt(to: "<b@x>", macros: ["{rcpt_addr}": "b@x"])
    try milter.abort()
    milter.quit()
    let sent = try filter.received()
    #expect(letters(sent) == "ODMDRAQ")
    #expect(sent[1].payload == ascii("Mi\0Q1\0{mail_addr}\0a@x\0"), "{auth_type} was not asked for")
    #expect(sent[3].payload == ascii("R{rcpt_addr}\0b@x\0"), "no list for rcpt: everything offered")
}

@Test func endOfMessageCollectsEveryModificationAndTheReply() throws {
    let filter = ScriptedFilter()
    let milter = try client(filter, flags: [.noConnect, .noHelo, .noMail, .noRcpt, .noData, .noHeaders,
                                            .noEndOfHeaders, .noBody])
    try milter.connect(hostname: "mx", address: .unknown)
    filter.answer(responseFrame("p") + responseFrame("h", ascii("X-A\0a\0"))
        + responseFrame("i", word(0) + ascii("X-B\0b\0")) + responseFrame("m", word(1) + ascii("Subject\0\0"))
        + responseFrame("+", ascii("<new@x>\0")) + responseFrame("-", ascii("<a@x>\0"))
        + responseFrame("e", ascii("<bounce@x>\0")) + responseFrame("q", ascii("storm\0"))
        + responseFrame("b", ascii("new ")) + responseFrame("b", ascii("body"))
        + responseFrame("y", ascii("550 5.7.1 storm in thread\0")))
    let result = try milter.send(threeRecipients)
    #expect(result.verdict == .reply(try SMTPReply(parsing: "550 5.7.1 storm in thread")))
    #expect(result.modifications == [
        .addHeader(HeaderField(name: "X-A", value: "a")),
        .insertHeader(index: 0, HeaderField(name: "X-B", value: "b")),
        .changeHeader(index: 1, HeaderField(name: "Subject", value: "")),
        .addRecipient("<new@x>", arguments: nil), .deleteRecipient("<a@x>"),
        .changeSender("<bounce@x>", arguments: nil), .quarantine(reason: "storm"),
        .replaceBody(ascii("new body")),
    ])
    #expect(result.quarantineReason == "storm")
    #expect(result.addedRecipients == ["<new@x>"])
    #expect(result.deletedRecipients == ["<a@x>"])
    #expect(letters(try filter.received()) == "OE", "only end of message was wanted")
}

@Test func refusedRecipientsLeaveTheOthersAndAllRefusedDecidesTheMessage() throws {
    let filter = ScriptedFilter()
    let milter = try client(filter, flags: envelopeOnly.union([.noReplyMail, .noReplyHeader, .noReplyEndOfHeaders,
                                                               .noReplyData, .noReplyBody]))
    try milter.connect(hostname: "mx", address: .unknown)
    filter.answer(responseFrame("r") + responseFrame("c") + responseFrame("t") + responseFrame("a"))
    let some = try milter.send(threeRecipients)
    #expect(some.verdict == .accept)
    #expect(some.rejectedRecipients == [RejectedRecipient(recipient: "<a@x>", verdict: .reject),
                                        RejectedRecipient(recipient: "<c@x>", verdict: .tempfail)])
    filter.answer(responseFrame("t") + responseFrame("y", ascii("550 5.1.1 no such user\0")))
    var two = threeRecipients
    two.recipients = ["<a@x>", "<b@x>"]
    let none = try milter.send(two)
    #expect(none.decidedAt == .rcpt)
    #expect(none.verdict == .reply(try SMTPReply(parsing: "550 5.1.1 no such user")), "the last refusal")
    milter.quit()
    #expect(letters(try filter.received()) == "OMRRRTLLNBE" + "MRRAQ", "no DATA without a recipient")
}

@Test func outOfOrderStepsAreRefused() throws {
    let filter = ScriptedFilter()
    let milter = try client(filter, flags: envelopeOnly.union([.noReplyMail, .noReplyRcpt, .noReplyEndOfHeaders]))
    #expect(throws: ClientError.outOfOrder(step: "mail", state: "awaitingConnect")) {
        try milter.mail(from: "<a@x>")
    }
    try milter.connect(hostname: "mx", address: .unknown)
    #expect(throws: ClientError.outOfOrder(step: "rcpt", state: "connected")) { try milter.rcpt(to: "<a@x>") }
    #expect(throws: ClientError.outOfOrder(step: "endOfMessage", state: "connected")) { try milter.endOfMessage() }
    try milter.mail(from: "<a@x>")
    #expect(throws: ClientError.outOfOrder(step: "data", state: "mail")) { try milter.data() }
    try milter.rcpt(to: "<b@x>")
    try milter.endOfHeaders()
    #expect(throws: ClientError.outOfOrder(step: "header", state: "endOfHeaders")) {
        try milter.header(name: "X", value: "late")
    }
    #expect(throws: ClientError.outOfOrder(step: "connect", state: "endOfHeaders")) {
        try milter.connect(hostname: "mx", address: .unknown)
    }
}

@Test func garbageFromTheFilterIsATypedErrorAndClosesTheSession() throws {
    let filter = ScriptedFilter()
    let milter = try client(filter, flags: envelopeOnly)
    try milter.connect(hostname: "mx", address: .unknown)
    filter.answer(responseFrame("Z"))
    #expect(throws: ClientError.wire(.unknownResponse(code: 0x5A))) { try milter.mail(from: "<a@x>") }
    #expect(throws: ClientError.outOfOrder(step: "mail", state: "closed")) { try milter.mail(from: "<a@x>") }
}

@Test func oversizedFrameFromTheFilterIsRefused() throws {
    let filter = ScriptedFilter()
    let milter = try client(filter, flags: envelopeOnly)
    try milter.connect(hostname: "mx", address: .unknown)
    filter.answer([0x7F, 0xFF, 0xFF, 0xFF, 0x68])
    #expect(throws: ClientError.wire(.frameTooLarge(length: 0x7FFF_FFFF, limit: 1 << 20))) {
        try milter.mail(from: "<a@x>")
    }
}

@Test func filterHangingUpMidFrameOrBetweenFrames() throws {
    let mid = ScriptedFilter()
    let first = try client(mid, flags: envelopeOnly)
    try first.connect(hostname: "mx", address: .unknown)
    mid.answer([0, 0, 0, 13, 0x68] + ascii("X-"))
    mid.stopTalking()
    #expect(throws: ClientError.wire(.truncatedFrame(buffered: 7, needed: 17))) { try first.mail(from: "<a@x>") }

    let between = ScriptedFilter()
    let second = try client(between, flags: envelopeOnly)
    try second.connect(hostname: "mx", address: .unknown)
    between.hangUp()
    #expect(throws: ClientError.connectionClosed(awaiting: "mail")) { try second.mail(from: "<a@x>") }
}

@Test func negotiationAskingForWhatWasNotOfferedIsRefused() {
    let filter = ScriptedFilter()
    filter.answer(negotiationReply(flags: [.noReplyMail]))
    let offer = MilterClient.Configuration(timeout: .seconds(2), flags: [.noConnect])
    #expect(throws: ClientError.negotiationRefused("protocol flags 0x4000 not offered")) {
        try MilterClient(adopting: dup(filter.clientFD), configuration: offer)
    }
    let old = ScriptedFilter()
    old.answer(negotiationReply(version: 7, flags: []))
    #expect(throws: ClientError.negotiationRefused("version 7, offered 6")) {
        try MilterClient(adopting: dup(old.clientFD), configuration: quick)
    }
}

@Test func aSilentFilterIsATimeoutNotAHang() throws {
    // A listening socket that accepts (in the kernel backlog) and never says a word.
    let directory = String(cString: mkdtemp(strdup("/tmp/bw-wire-XXXXXX")))
    defer { rmdir(directory) }
    let path = directory + "/silent.sock"
    let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(listener); unlink(path) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    try #require(bound == 0)
    try #require(listen(listener, 4) == 0)
    let timeout = Duration.milliseconds(300)
    #expect(throws: ClientError.timeout(awaiting: "option negotiation", after: timeout)) {
        try MilterClient(connectingTo: "unix:" + path, configuration: .init(timeout: timeout))
    }
}

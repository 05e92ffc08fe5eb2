import Testing
@testable import MilterWire

// Expected bytes are written out by hand from the protocol: length (big-endian, counting the
// command byte), command byte, payload.

@Test func optionNegotiationOfVersion6OffersEverything() {
    var encoder = CommandEncoder()
    encoder.optionNegotiation(version: 6, actions: .all, flags: .all)
    #expect(encoder.bytes == [0, 0, 0, 13, 0x4F,
                              0, 0, 0, 6,
                              0, 0, 0x01, 0xFF,
                              0, 0x1F, 0xFF, 0xFF])
}

@Test func connectFrom127001Port25() {
    var encoder = CommandEncoder()
    encoder.connect(hostname: "localhost", address: .inet(address: "127.0.0.1", port: 25))
    #expect(encoder.bytes == [0, 0, 0, 24, 0x43]
        + ascii("localhost\0") + [0x34, 0, 25] + ascii("127.0.0.1\0"))
}

@Test func connectOfUnknownFamilyCarriesNoPortOrAddress() {
    var encoder = CommandEncoder()
    encoder.connect(hostname: "h", address: .unknown)
    #expect(encoder.bytes == [0, 0, 0, 4, 0x43, 0x68, 0, 0x55])
}

@Test func connectOverUnixSocketAndIPv6() {
    var encoder = CommandEncoder()
    encoder.connect(hostname: "h", address: .unix(path: "/s"))
    encoder.connect(hostname: "h", address: .inet6(address: "::1", port: 0x1234))
    #expect(encoder.bytes == [0, 0, 0, 9, 0x43, 0x68, 0, 0x4C, 0, 0] + ascii("/s\0")
        + [0, 0, 0, 10, 0x43, 0x68, 0, 0x36, 0x12, 0x34] + ascii("::1\0"))
}

@Test func headerFrameIsNameNulValueNul() {
    var encoder = CommandEncoder()
    encoder.header(name: "Subject", value: "hi")
    #expect(encoder.bytes == [0, 0, 0, 12, 0x4C] + ascii("Subject\0hi\0"))
}

@Test func macroFrameNamesTheCommandFirst() {
    var encoder = CommandEncoder()
    encoder.macros(for: .mail, ["i": "Q1", "{auth_type}": "PLAIN"])
    #expect(encoder.bytes == [0, 0, 0, 25, 0x44, 0x4D] + ascii("i\0Q1\0{auth_type}\0PLAIN\0"))
    encoder.removeAll()
    encoder.macros(for: .rcpt, [:])
    #expect(encoder.bytes.isEmpty, "no frame for no macros")
}

@Test func mailAndRcptCarryArgumentsEachNulTerminated() {
    var encoder = CommandEncoder()
    encoder.mail("<a@b>", arguments: ["SIZE=10"])
    encoder.rcpt("<c@d>")
    encoder.helo("mx")
    encoder.unknown("XYZZY")
    #expect(encoder.bytes == [0, 0, 0, 15, 0x4D] + ascii("<a@b>\0SIZE=10\0")
        + [0, 0, 0, 7, 0x52] + ascii("<c@d>\0")
        + [0, 0, 0, 4, 0x48] + ascii("mx\0")
        + [0, 0, 0, 7, 0x55] + ascii("XYZZY\0"))
}

@Test func commandsWithoutPayloadAreFiveBytes() {
    var encoder = CommandEncoder()
    encoder.data()
    encoder.endOfHeaders()
    encoder.endOfBody()
    encoder.abort()
    encoder.quit()
    encoder.quitNewConnection()
    #expect(encoder.bytes == [0, 0, 0, 1, 0x54, 0, 0, 0, 1, 0x4E, 0, 0, 0, 1, 0x45,
                              0, 0, 0, 1, 0x41, 0, 0, 0, 1, 0x51, 0, 0, 0, 1, 0x4B])
}

@Test func bodyIsSplitIntoChunksOfAtMost65535Bytes() throws {
    var encoder = CommandEncoder()
    encoder.body([UInt8](repeating: 0x78, count: 70_000))
    let sent = try frames(in: encoder.bytes)
    #expect(sent.map(\.code) == [0x42, 0x42])
    #expect(sent.map(\.payload.count) == [65535, 4465])
    #expect(Array(encoder.bytes[0..<5]) == [0, 1, 0, 0, 0x42], "length 65536 = 65535 + command byte")
}

@Test func aNulInsideAFieldCannotSplitTheFrame() throws {
    var encoder = CommandEncoder()
    encoder.header(name: "X-A\0evil", value: "v")
    #expect(encoder.bytes == [0, 0, 0, 7, 0x4C] + ascii("X-A\0v\0"))
}

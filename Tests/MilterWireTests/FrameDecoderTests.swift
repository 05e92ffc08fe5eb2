import Testing
@testable import MilterWire

private let stream: [UInt8] =
    [0, 0, 0, 1, 0x63]                                   // continue
    + [0, 0, 0, 13, 0x68] + ascii("X-Null\0seen\0")      // addheader
    + [0, 0, 0, 1, 0x61]                                 // accept

@Test func decodesSeveralFramesFromOneRead() throws {
    let decoded = try frames(in: stream)
    #expect(decoded == [Frame(code: 0x63), Frame(code: 0x68, payload: ascii("X-Null\0seen\0")), Frame(code: 0x61)])
}

@Test func streamingDecodeGivesTheSameFramesWhereverTheStreamIsSplit() throws {
    let whole = try frames(in: stream)
    for split in 0...stream.count {
        var decoder = FrameDecoder()
        var out: [Frame] = []
        decoder.append(stream[..<split])
        while let frame = try decoder.nextFrame() { out.append(frame) }
        decoder.append(stream[split...])
        while let frame = try decoder.nextFrame() { out.append(frame) }
        #expect(out == whole, "split at \(split)")
        #expect(decoder.bufferedByteCount == 0)
    }
}

@Test func streamingDecodeOneByteAtATime() throws {
    var decoder = FrameDecoder()
    var out: [Frame] = []
    for byte in stream {
        decoder.append([byte])
        while let frame = try decoder.nextFrame() { out.append(frame) }
    }
    #expect(out == (try frames(in: stream)))
}

@Test func lengthZeroIsRefused() {
    var decoder = FrameDecoder()
    decoder.append([0, 0, 0, 0, 0x61])
    #expect(throws: WireError.emptyFrame) { try decoder.nextFrame() }
}

@Test func lengthOverTheLimitIsRefusedBeforeBuffering() {
    var decoder = FrameDecoder(maxFrameLength: 1000)
    decoder.append([0, 0, 0x03, 0xE9])  // 1001, payload never sent
    #expect(throws: WireError.frameTooLarge(length: 1001, limit: 1000)) { try decoder.nextFrame() }
    var defaults = FrameDecoder()
    defaults.append([0xFF, 0xFF, 0xFF, 0xFF, 0x61])
    #expect(throws: WireError.frameTooLarge(length: 0xFFFF_FFFF, limit: 1 << 20)) { try defaults.nextFrame() }
}

@Test func truncatedFrameIsReportedAtEndOfStream() throws {
    var decoder = FrameDecoder()
    decoder.append([0, 0, 0, 12, 0x68] + ascii("X-Null"))
    #expect(try decoder.nextFrame() == nil, "incomplete: wait for more")
    #expect(throws: WireError.truncatedFrame(buffered: 11, needed: 16)) { try decoder.finish() }
    var header = FrameDecoder()
    header.append([0, 0])
    #expect(throws: WireError.truncatedFrame(buffered: 2, needed: 4)) { try header.finish() }
}

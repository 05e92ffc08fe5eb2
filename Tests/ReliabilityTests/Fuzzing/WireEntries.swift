import MilterWire

extension FuzzEntry {
    /// The MTA side's frame decoder and filter-response decoder on a hostile filter's bytes,
    /// delivered in fuzzed chunk sizes. Every byte is accounted for: the frames returned
    /// (4-byte length + code + payload each) plus what is still buffered equal what was fed,
    /// unless the decoder refused the stream; the result does not depend on the chunking.
    static func frames(_ bytes: [UInt8]) -> String? {
        var input = FuzzInput(bytes)
        let chunk = Int(input.byte() % 17) + 1
        let maxLength = input.byte() & 1 == 1 ? 64 : FrameDecoder.defaultMaxFrameLength
        let stream = input.rest()
        func decode(chunk: Int) -> (frames: [Frame], buffered: Int, failed: Bool) {
            var decoder = FrameDecoder(maxFrameLength: maxLength)
            var frames: [Frame] = []
            var at = 0
            while at < stream.count {
                let end = min(stream.count, at + chunk)
                decoder.append(stream[at..<end])
                at = end
                do {
                    while let f = try decoder.nextFrame() { frames.append(f) }
                } catch {
                    return (frames, decoder.bufferedByteCount, true)
                }
            }
            return (frames, decoder.bufferedByteCount, false)
        }
        let chunked = decode(chunk: chunk)
        let whole = decode(chunk: max(1, stream.count))
        guard chunked.frames == whole.frames, chunked.failed == whole.failed else {
            return "chunks of \(chunk) decode differently from one read"
        }
        if !whole.failed {
            let used = whole.frames.reduce(0) { $0 + 5 + $1.payload.count }
            guard used + whole.buffered == stream.count else {
                return "\(used) bytes in frames + \(whole.buffered) buffered != \(stream.count) fed"
            }
        }
        for f in whole.frames {
            guard f.payload.count + 1 <= maxLength else { return "frame longer than the limit" }
            _ = try? FilterResponse(frame: f)
        }
        return nil
    }
}

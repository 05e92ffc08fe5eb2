/// Cuts a byte stream into frames, however the bytes arrive (one at a time or many frames in
/// one read). Frames longer than `maxFrameLength` are refused before any of them is buffered.
public struct FrameDecoder: Sendable {
    /// libmilter's largest data size (`MILTER_MDS_1M`, 1 MiB − 1) plus the code byte: no real
    /// filter sends more in one frame, so anything larger is garbage or an attack.
    public static let defaultMaxFrameLength = 1 << 20

    /// The largest length field accepted (code byte + payload).
    public let maxFrameLength: Int
    // why a start index instead of removeFirst: consuming a frame must not shift the buffer.
    private var buffer: [UInt8] = []
    private var start = 0

    /// A decoder that refuses frames longer than `maxFrameLength` bytes.
    public init(maxFrameLength: Int = FrameDecoder.defaultMaxFrameLength) {
        self.maxFrameLength = maxFrameLength
        buffer.reserveCapacity(4096)
    }

    /// Bytes received but not yet returned as a frame.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Adds received bytes.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
    }

    /// Adds received bytes from raw memory (what `recv` filled).
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes.bindMemory(to: UInt8.self))
    }

    /// The next complete frame, or nil if more bytes are needed.
    public mutating func nextFrame() throws(WireError) -> Frame? {
        let available = buffer.count - start
        guard available >= 4 else { return nil }
        let length = Int(buffer[start]) << 24 | Int(buffer[start + 1]) << 16
            | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
        guard length > 0 else { throw .emptyFrame }
        guard length <= maxFrameLength else { throw .frameTooLarge(length: length, limit: maxFrameLength) }
        guard available >= 4 + length else { return nil }
        let code = buffer[start + 4]
        let payload = Array(buffer[(start + 5)..<(start + 4 + length)])
        start += 4 + length
        compact()
        return Frame(code: code, payload: payload)
    }

    /// Call at end of stream: throws if a partial frame is left over.
    public func finish() throws(WireError) {
        let available = buffer.count - start
        guard available > 0 else { return }
        var needed = 4
        if available >= 4 {
            needed = 4 + (Int(buffer[start]) << 24 | Int(buffer[start + 1]) << 16
                | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3]))
        }
        throw .truncatedFrame(buffered: available, needed: needed)
    }

    // why: reclaim consumed bytes cheaply — free when everything is consumed, and only move
    // memory once the dead prefix is large, so the common case never copies.
    private mutating func compact() {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start >= 64 * 1024 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
    }
}

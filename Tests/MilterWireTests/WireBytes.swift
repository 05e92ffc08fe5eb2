import Glibc
@testable import MilterWire

// Small helpers so tests read as bytes written out from the protocol description.

/// The UTF-8 bytes of `text` (NULs written as "\0" in the literal).
func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }

/// A response frame: 4-byte big-endian length (code + payload), code, payload.
func responseFrame(_ code: Character, _ payload: [UInt8] = []) -> [UInt8] {
    let length = UInt32(payload.count + 1)
    return [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF),
            code.asciiValue!] + payload
}

/// A big-endian 32-bit word.
func word(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
}

/// The 'O' answer a filter gives.
func negotiationReply(version: UInt32 = 6, actions: FilterActions = .all, flags: ProtocolFlags,
                      macros: [(UInt32, String)] = []) -> [UInt8] {
    var payload = word(version) + word(actions.rawValue) + word(flags.rawValue)
    for (stage, names) in macros { payload += word(stage) + ascii(names) + [0] }
    return responseFrame("O", payload)
}

/// Decodes every frame in `bytes`, failing the test on garbage.
func frames(in bytes: [UInt8]) throws -> [Frame] {
    var decoder = FrameDecoder()
    decoder.append(bytes)
    var out: [Frame] = []
    while let frame = try decoder.nextFrame() { out.append(frame) }
    try decoder.finish()
    return out
}

/// The command letters of frames, e.g. "OMRRE".
func letters(_ frames: [Frame]) -> String {
    String(frames.map { Character(UnicodeScalar($0.code)) })
}

/// The filter's end of a socket pair: answers are written before the client asks, and what
/// the client sent is read afterwards. No threads, no timing.
final class ScriptedFilter {
    let fd: Int32
    let clientFD: Int32

    init() {
        var pair: [Int32] = [0, 0]
        precondition(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        clientFD = pair[0]
        fd = pair[1]
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    deinit { close(fd) }

    /// Queues bytes for the client to read.
    func answer(_ bytes: [UInt8]) {
        let written = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        precondition(written == bytes.count)
    }

    /// Closes the filter's end.
    func hangUp() { shutdown(fd, Int32(SHUT_RDWR)) }

    /// Stops sending but still reads, like a filter that crashed after a partial write.
    func stopTalking() { shutdown(fd, Int32(SHUT_WR)) }

    /// Everything the client has sent so far, as frames.
    func received() throws -> [Frame] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return try frames(in: bytes)
    }
}

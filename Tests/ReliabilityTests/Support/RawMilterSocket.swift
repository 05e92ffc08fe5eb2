import Glibc
import MilterWire
import TestSupport

/// A milter connection with no manners: it writes whatever bytes a test hands it, in any order,
/// and reads whatever comes back. The opposite of `MilterClient`, which only speaks correctly.
final class RawMilterSocket {
    private(set) var fd: Int32
    private var decoder = FrameDecoder(maxFrameLength: 1 << 24)

    /// Connects to a unix socket path.
    init(unixPath path: String) throws {
        do {
            fd = try LocalSocket.connect(unixPath: path)
        } catch {
            throw RawSocketError(error.description)
        }
    }

    deinit { close() }

    /// Closes the connection (idempotent).
    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// One milter frame: 4-byte big-endian length (code + payload), code, payload.
    static func frame(_ code: UInt8, _ payload: [UInt8] = []) -> [UInt8] {
        let n = UInt32(payload.count + 1)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF), code] + payload
    }

    /// A frame header claiming `length` bytes, with nothing after it.
    static func lengthOnly(_ length: UInt32) -> [UInt8] {
        [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
    }

    /// NUL-terminated strings, the milter way.
    static func strings(_ items: String...) -> [UInt8] { items.flatMap { Array($0.utf8) + [0] } }

    /// Option negotiation offering version 6, every action and no protocol steps skipped.
    static let negotiation = frame(Command.optionNegotiation.rawValue, [0, 0, 0, 6, 0, 0, 0x01, 0xFF, 0, 0, 0, 0])

    /// Writes all of `bytes`; returns false once the peer has gone (EPIPE, ECONNRESET).
    /// MSG_NOSIGNAL: a closed peer must be an answer here, not a SIGPIPE for the test process.
    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        guard fd >= 0 else { return false }
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }

    /// Reads frames until `stop` says enough, the peer closes, or `seconds` pass without data.
    /// Returns the responses decoded so far and whether the peer closed the connection.
    func read(seconds: Double = 10, until stop: ([FilterResponse]) -> Bool = { _ in false })
        -> (responses: [FilterResponse], closed: Bool) {
        var responses: [FilterResponse] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while fd >= 0 {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, Int32(seconds * 1000))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { return (responses, false) }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return (responses, true) }
            decoder.append(buffer[0..<n])
            do {
                while let frame = try decoder.nextFrame() {
                    if let r = try? FilterResponse(frame: frame) { responses.append(r) }
                }
            } catch {
                return (responses, false)
            }
            if stop(responses) { return (responses, false) }
        }
        return (responses, true)
    }

    /// Takes what is waiting without blocking: keeps the daemon's replies from filling the
    /// socket buffer while a test floods it.
    func drain() -> [FilterResponse] {
        read(seconds: 0).responses
    }
}

/// A raw socket step that failed.
struct RawSocketError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension FilterResponse {
    /// True for the responses that end a message (or the connection).
    var isFinal: Bool {
        switch self {
        case .accept, .reject, .tempfail, .discard, .replyCode, .shutdown, .connectionFailure: true
        default: false
        }
    }
}

/// Why bytes from a filter could not be read as milter frames or responses.
public enum WireError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A frame announced length 0: every frame carries at least its code byte.
    case emptyFrame
    /// A frame announced more bytes than the configured limit.
    case frameTooLarge(length: Int, limit: Int)
    /// The stream ended inside a frame.
    case truncatedFrame(buffered: Int, needed: Int)
    /// The code byte names no response of protocol version 6.
    case unknownResponse(code: UInt8)
    /// A payload ended before a field it must carry.
    case truncatedPayload(ResponseCode, field: String)
    /// A string field was not NUL-terminated.
    case missingTerminator(ResponseCode, field: String)
    /// Bytes followed the last field of a payload, or a payload came where none belongs.
    case unexpectedPayload(ResponseCode, extraBytes: Int)
    /// A reply code frame did not start with a 4xx or 5xx code.
    case malformedReplyCode(String)
    /// A macro list named a stage that does not exist.
    case invalidMacroStage(UInt32)

    /// A sentence a person can act on.
    public var description: String {
        switch self {
        case .emptyFrame:
            "milter frame with length 0 (no code byte)"
        case let .frameTooLarge(length, limit):
            "milter frame of \(length) bytes exceeds the limit of \(limit)"
        case let .truncatedFrame(buffered, needed):
            "stream ended inside a milter frame (\(buffered) of \(needed) bytes)"
        case let .unknownResponse(code):
            "unknown milter response code 0x\(String(code, radix: 16))"
        case let .truncatedPayload(code, field):
            "milter response \(code) ends before its \(field)"
        case let .missingTerminator(code, field):
            "milter response \(code): \(field) is not NUL-terminated"
        case let .unexpectedPayload(code, extra):
            "milter response \(code) carries \(extra) unexpected bytes"
        case let .malformedReplyCode(text):
            "milter reply code is not a 4xx/5xx reply: \(text.debugDescription)"
        case let .invalidMacroStage(stage):
            "milter macro list names unknown stage \(stage)"
        }
    }
}

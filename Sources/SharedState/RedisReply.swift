/// A reply from Redis, copied out of hiredis's reply object (which is freed at once).
///
/// `RedisConnection.command` throws when the whole reply is an error; an `.error` therefore only
/// appears inside an array (a transaction's or a script's results).
package enum RedisReply: Sendable, Hashable {
    /// A bulk string, byte for byte (REDIS_REPLY_STRING).
    case string([UInt8])
    /// An integer (REDIS_REPLY_INTEGER).
    case integer(Int64)
    /// An array of replies (REDIS_REPLY_ARRAY).
    case array([RedisReply])
    /// Redis's nil: a missing key, a nil bulk string or array (REDIS_REPLY_NIL).
    case null
    /// A status line such as `OK` or `PONG` (REDIS_REPLY_STATUS).
    case status(String)
    /// An error line such as `ERR wrong number of arguments` (REDIS_REPLY_ERROR).
    case error(String)

    /// The bulk string or status as UTF-8 text (invalid bytes replaced); nil for other replies.
    package var text: String? {
        switch self {
        case let .string(bytes): return String(decoding: bytes, as: UTF8.self)
        case let .status(text): return text
        default: return nil
        }
    }

    /// The integer; nil for other replies.
    package var integer: Int64? {
        if case let .integer(value) = self { return value }
        return nil
    }
}

import BreakwaterConfig
import SharedState
import TestSupport

/// The test's own look into the Redis the hosts share (not the daemon's client): which keys
/// exist, their TTLs and values, and which commands the server ran.
final class RedisInspector {
    private let connection: RedisConnection

    /// A connection of its own to `redis` (one without a password).
    init(_ redis: PrivateRedis) throws {
        let address: SharedStateAddress = redis.socketPath.map { .unix(path: $0) }
            ?? .tcp(host: "127.0.0.1", port: redis.port!, database: 0)
        connection = try RedisConnection(to: address, timeout: .seconds(5))
    }

    /// Every key matching `pattern`, by a `SCAN` loop (as an admin would, never `KEYS`).
    func keys(matching pattern: String = "*") throws -> [[UInt8]] {
        var cursor = "0"
        var keys: [[UInt8]] = []
        repeat {
            let reply = try connection.command(["SCAN", cursor, "MATCH", pattern, "COUNT", "1000"])
            guard case let .array(parts) = reply, parts.count == 2, let next = parts[0].text,
                  case let .array(batch) = parts[1] else {
                throw ChildProcess.SpawnError(description: "SCAN answered \(reply)")
            }
            for case let .string(key) in batch { keys.append(key) }
            cursor = next
        } while cursor != "0"
        return keys
    }

    /// `TTL key`: seconds left, -1 for a key that never expires, -2 for one that is gone.
    func ttl(_ key: [UInt8]) throws -> Int64 {
        try connection.command(bytes: [Array("TTL".utf8), key]).integer ?? -3
    }

    /// Every byte string the key holds, read by its type (string, hash, list, set, sorted set,
    /// stream), then its `DUMP`: what a test searches for text that must not be there.
    func contents(of key: [UInt8]) throws -> [[UInt8]] {
        let type = try connection.command(bytes: [Array("TYPE".utf8), key]).text ?? "none"
        let read: [String] = switch type {
        case "string": ["GET"]
        case "hash": ["HGETALL"]
        case "list": ["LRANGE", "0", "-1"]
        case "set": ["SMEMBERS"]
        case "zset": ["ZRANGE", "0", "-1", "WITHSCORES"]
        case "stream": ["XRANGE", "-", "+"]
        default: []
        }
        var out: [[UInt8]] = []
        if let name = read.first {
            out += Self.strings(in: try connection.command(bytes: [Array(name.utf8), key] + read.dropFirst().map { Array($0.utf8) }))
        }
        out += Self.strings(in: try connection.command(bytes: [Array("DUMP".utf8), key]))
        return out
    }

    /// `DBSIZE`.
    func keyCount() throws -> Int64 {
        try connection.command(["DBSIZE"]).integer ?? -1
    }

    /// Forgets the server's command counts (`CONFIG RESETSTAT`).
    func resetCommandCounts() throws {
        _ = try connection.command(["CONFIG", "RESETSTAT"])
    }

    /// Calls per command since the last reset, from `INFO commandstats` (`cmdstat_get:calls=3,...`).
    func commandCounts() throws -> [String: Int] {
        let info = try connection.command(["INFO", "commandstats"]).text ?? ""
        var counts: [String: Int] = [:]
        for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix("cmdstat_") {
            let parts = line.dropFirst("cmdstat_".count).split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let calls = parts[1].split(separator: ",").first,
                  calls.hasPrefix("calls="), let n = Int(calls.dropFirst("calls=".count)) else { continue }
            counts[String(parts[0])] = n
        }
        return counts
    }

    private static func strings(in reply: RedisReply) -> [[UInt8]] {
        switch reply {
        case let .string(bytes): return [bytes]
        case let .status(text), let .error(text): return [Array(text.utf8)]
        case let .integer(n): return [Array(String(n).utf8)]
        case let .array(items): return items.flatMap(strings)
        case .null: return []
        }
    }
}

extension Array where Element == UInt8 {
    /// True when `text`'s bytes occur anywhere in these, ignoring ASCII case.
    func containsText(_ text: String) -> Bool {
        let needle = Array(text.lowercased().utf8)
        let haystack = map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
        guard !needle.isEmpty, haystack.count >= needle.count else { return needle.isEmpty }
        return (0...(haystack.count - needle.count)).contains { i in haystack[i..<(i + needle.count)].elementsEqual(needle) }
    }

    /// The bytes as text for a failure message (invalid UTF-8 replaced).
    var shown: String { String(decoding: self, as: UTF8.self) }
}

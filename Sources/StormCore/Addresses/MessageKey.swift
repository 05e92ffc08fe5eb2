/// A compact, stable identity for one Message-ID: 64 bits of its text.
///
/// The ledger stores keys, not strings, so that a million tracked messages fit in little memory.
/// The hash is fixed (FNV-1a 64 with a murmur3 finaliser), never Swift's per-process `Hasher`,
/// because keys are written to the snapshot and must mean the same after a restart.
public struct MessageKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Hashes the id's bytes (the text between the angle brackets).
    public init<C: Collection>(bytes: C) where C.Element == UInt8 {
        var h = KeyHasher()
        for b in bytes { h.add(b) }
        self.rawValue = h.value
    }

    /// Hashes the id text (without angle brackets).
    public init(_ id: String) { self.init(bytes: id.utf8) }

    public static func < (a: MessageKey, b: MessageKey) -> Bool { a.rawValue < b.rawValue }

    /// Sixteen hex digits: how logs and the admin CLI name a key.
    public var description: String {
        let s = String(rawValue, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

/// The hash behind `MessageKey`, fed one byte at a time, so that scanners can hash a span
/// while they read it (lower-casing as they go) without building a String first.
struct KeyHasher {
    private var h: UInt64 = 0xcbf2_9ce4_8422_2325

    @inline(__always) mutating func add(_ b: UInt8) {
        h ^= UInt64(b)
        h &*= 0x0000_0100_0000_01b3
    }

    /// FNV-1a 64 finished with murmur3's fmix64, which spreads FNV's weak low bits.
    var value: UInt64 {
        var x = h
        x ^= x >> 33
        x &*= 0xff51_afd7_ed55_8ccd
        x ^= x >> 33
        x &*= 0xc4ce_b9fe_1a85_ec53
        x ^= x >> 33
        return x
    }
}

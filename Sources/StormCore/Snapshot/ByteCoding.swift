/// Little-endian writer for the snapshot format.
struct ByteWriter {
    var buffer: [UInt8] = []
    mutating func u8(_ v: UInt8) { buffer.append(v) }
    mutating func u16(_ v: UInt16) { for i in 0..<2 { buffer.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    mutating func u32(_ v: UInt32) { for i in 0..<4 { buffer.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    mutating func u64(_ v: UInt64) { for i in 0..<8 { buffer.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    mutating func bytes(_ b: [UInt8]) { buffer += b }
}

/// Bounds-checked little-endian reader: every read past `end` is a `truncated` error.
struct ByteReader {
    let bytes: [UInt8]
    let end: Int
    var offset = 0

    var remaining: Int { end - offset }

    mutating func take(_ n: Int) throws(SnapshotError) -> Int {
        guard n >= 0, n <= remaining else { throw .truncated(offset: offset) }
        defer { offset += n }
        return offset
    }
    mutating func u8() throws(SnapshotError) -> UInt8 { bytes[try take(1)] }
    mutating func u16() throws(SnapshotError) -> UInt16 { UInt16(truncatingIfNeeded: try uint(2)) }
    mutating func u32() throws(SnapshotError) -> UInt32 { UInt32(truncatingIfNeeded: try uint(4)) }
    mutating func u64() throws(SnapshotError) -> UInt64 { try uint(8) }
    mutating func i64() throws(SnapshotError) -> Int64 { Int64(bitPattern: try uint(8)) }
    mutating func bytes(_ n: Int) throws(SnapshotError) -> [UInt8] {
        let o = try take(n)
        return Array(bytes[o..<(o + n)])
    }
    private mutating func uint(_ n: Int) throws(SnapshotError) -> UInt64 {
        let o = try take(n)
        var v: UInt64 = 0
        for i in 0..<n { v |= UInt64(bytes[o + i]) << (8 * UInt64(i)) }
        return v
    }
}

/// CRC-32 (IEEE 802.3, the one zlib uses), to tell a torn or edited snapshot from a good one.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

/// Why a snapshot could not be read. Never a crash: the daemon logs it, sets the file aside
/// and starts with an empty ledger.
public enum SnapshotError: Error, Sendable, Equatable, CustomStringConvertible {
    case notASnapshot
    case unsupportedVersion(UInt32)
    case truncated(offset: Int)
    case checksumMismatch
    case corrupt(String)

    public var description: String {
        switch self {
        case .notASnapshot: "not a Breakwater ledger snapshot (bad magic)"
        case .unsupportedVersion(let v): "snapshot format version \(v) is not supported (this build reads 1)"
        case .truncated(let o): "snapshot is truncated at byte \(o)"
        case .checksumMismatch: "snapshot checksum does not match its contents"
        case .corrupt(let why): "snapshot is corrupt: \(why)"
        }
    }
}

/// The versioned binary form of the ledger.
///
/// Layout (integers little-endian): magic `BWLEDGER`, version u32, written-at i64, thread count
/// u32, learned count u32; the threads from least to most recently used; the learned sizes;
/// then a CRC-32 of everything before it. Every count is checked against the bytes left before
/// anything is allocated, so a hostile file cannot make the reader allocate gigabytes.
enum LedgerSnapshot {
    static let magic: [UInt8] = Array("BWLEDGER".utf8)
    static let version: UInt32 = 1
    /// Smallest possible encoded thread, for the count check.
    static let minThreadBytes = 8 * 7 + 4 * 2 + 8 + 2 + 1 + 2 + 4 + 2 + 2

    static func encode(_ st: LedgerState, now: Int64) -> [UInt8] {
        var w = ByteWriter()
        w.bytes(magic)
        w.u32(version)
        w.i64(now)
        w.u32(UInt32(st.count))
        w.u32(UInt32(st.learned.count))
        for s in st.slotsInOrder {
            let r = st.slots[Int(s)]
            w.u64(r.key.rawValue)
            w.i64(Int64(r.audience))
            w.i64(r.firstSeen)
            w.i64(r.lastSeen)
            w.i64(r.lastReplyAll)
            w.i64(r.blockedUntil)
            w.i64(r.trippedAt)
            w.u32(r.passedTotal)
            w.u32(r.stoppedTotal)
            w.u64(r.deliveriesPrevented)
            w.u64(r.subjectHash)
            w.u16(r.storms)
            w.u8(0) // flags, reserved
            w.u16(UInt16(r.text.count))
            w.bytes(r.text)
            w.u32(UInt32(r.window.count))
            for e in r.window { w.i64(e.at); w.i64(Int64(e.audience)) }
            w.u16(UInt16(r.repliers.count))
            for h in r.repliers { w.u64(h) }
            w.u16(UInt16(r.messages.count))
            for m in r.messages { w.u64(m.rawValue) }
        }
        for (k, v) in st.learned.sorted(by: { $0.key < $1.key }) {
            let b = Array(k.utf8.prefix(1_000))
            w.u16(UInt16(b.count))
            w.bytes(b)
            w.i64(Int64(v))
        }
        w.u32(CRC32.checksum(w.buffer))
        return w.buffer
    }

    static func decode(_ bytes: [UInt8], limits: LedgerLimits) throws(SnapshotError) -> LedgerState {
        guard bytes.count >= magic.count, Array(bytes.prefix(magic.count)) == magic else { throw .notASnapshot }
        guard bytes.count >= magic.count + 4 + 4 else { throw .truncated(offset: bytes.count) }
        var r = ByteReader(bytes: bytes, end: bytes.count - 4)
        r.offset = magic.count
        let v = try r.u32()
        guard v == version else { throw .unsupportedVersion(v) }
        let stored = UInt32(bytes[bytes.count - 4]) | UInt32(bytes[bytes.count - 3]) << 8
            | UInt32(bytes[bytes.count - 2]) << 16 | UInt32(bytes[bytes.count - 1]) << 24
        guard CRC32.checksum(bytes[..<(bytes.count - 4)]) == stored else { throw .checksumMismatch }
        _ = try r.i64()
        let threads = Int(try r.u32())
        let learnedCount = Int(try r.u32())
        guard threads <= r.remaining / minThreadBytes else { throw .corrupt("thread count \(threads) exceeds the file") }
        guard learnedCount <= r.remaining / 10 else { throw .corrupt("learned count \(learnedCount) exceeds the file") }

        var st = LedgerState(limits: limits)
        // Keep the most recently used when the file holds more than the limit allows.
        let skip = max(0, threads - limits.maxThreads)
        for i in 0..<threads {
            var rec = ThreadRecord(key: MessageKey(rawValue: try r.u64()), audience: 0, now: 0)
            var act = ThreadActivity()
            rec.audience = Int(clamping: try r.i64())
            rec.firstSeen = try r.i64()
            rec.lastSeen = try r.i64()
            act.lastReplyAll = try r.i64()
            rec.blockedUntil = try r.i64()
            act.trippedAt = try r.i64()
            act.passedTotal = try r.u32()
            act.stoppedTotal = try r.u32()
            act.deliveriesPrevented = try r.u64()
            rec.subjectHash = try r.u64()
            act.storms = try r.u16()
            _ = try r.u8()
            rec.text = try r.bytes(Int(try r.u16()))
            if rec.text.count(where: { $0 == 0 }) > 2 { throw .corrupt("thread \(i): bad text") }
            let w = Int(try r.u32())
            guard w <= r.remaining / 16 else { throw .corrupt("thread \(i): window count \(w) exceeds the file") }
            act.window.reserveCapacity(w)
            for _ in 0..<w { act.window.append(WindowEntry(at: try r.i64(), audience: Int(clamping: try r.i64()))) }
            let nr = Int(try r.u16())
            guard nr <= ThreadRecord.maxRepliers else { throw .corrupt("thread \(i): \(nr) repliers") }
            for _ in 0..<nr { act.repliers.append(try r.u64()) }
            // A thread that never saw a reply-all keeps no activity storage, as before the restart.
            if act.lastReplyAll != 0 || act.trippedAt != 0 || act.passedTotal != 0 || act.stoppedTotal != 0
                || act.deliveriesPrevented != 0 || act.storms != 0 || !act.window.isEmpty || !act.repliers.isEmpty {
                rec.activity.unique = act
            }
            let nm = Int(try r.u16())
            var keys: [MessageKey] = []
            for _ in 0..<nm { keys.append(MessageKey(rawValue: try r.u64())) }
            guard i >= skip else { continue }
            guard st.index[rec.key] == nil else { throw .corrupt("thread \(i): duplicate key \(rec.key)") }
            let s = st.insert(key: rec.key, audience: rec.audience, now: rec.lastSeen)
            let subjectHash = rec.subjectHash
            rec.subjectHash = 0
            rec.prev = st.slots[Int(s)].prev
            rec.next = st.slots[Int(s)].next
            st.slots[Int(s)] = rec
            for k in keys { st.link(k, to: s) }
            st.setSubjectHash(subjectHash, for: s)
        }
        for _ in 0..<learnedCount {
            let k = String(decoding: try r.bytes(Int(try r.u16())), as: UTF8.self)
            st.learn(k, size: Int(clamping: try r.i64()))
        }
        guard r.remaining == 0 else { throw .corrupt("\(r.remaining) bytes after the last record") }
        return st
    }
}

extension ThreadLedger {
    /// The whole ledger as snapshot bytes. The state is copied under the lock (copy-on-write:
    /// cheap) and encoded outside it, so decisions are not held up by the encoding.
    public func snapshot(now: Instant) -> [UInt8] {
        let copy = state.withLock { $0 }
        return LedgerSnapshot.encode(copy, now: now.seconds)
    }

    /// A ledger read back from snapshot bytes, within `limits`.
    public static func restore(from bytes: [UInt8], limits: LedgerLimits = LedgerLimits())
        throws(SnapshotError) -> ThreadLedger {
        ThreadLedger(state: try LedgerSnapshot.decode(bytes, limits: limits))
    }
}

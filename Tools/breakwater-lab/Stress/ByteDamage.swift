import MilterWire
import Replay

/// The abuses that damage the bytes of a valid session: flips, insertions, deletions, cuts,
/// absurd frame lengths, unknown command codes, and plain garbage.
extension AbuseCatalogue {
    /// 1 to 8 bytes of a valid session XOR-ed, half the time aimed at length and code bytes.
    func flipped(_ n: Int, _ rng: inout SeededRandom) -> SessionPlan {
        let s = validSession(n, &rng)
        var bytes = s.bytes
        var first = bytes.count
        for _ in 0..<(1 + rng.below(8)) {
            let p = aim(s, &rng)
            bytes[p] ^= UInt8(1 + rng.below(255))
            first = min(first, p)
        }
        return plan(.flipped, bytes, s.owed(before: first), "flips from byte \(first) of \(bytes.count)")
    }

    /// 1 to 4 runs of 1 to 16 random bytes inserted into a valid session.
    func inserted(_ n: Int, _ rng: inout SeededRandom) -> SessionPlan {
        let s = validSession(n, &rng)
        var bytes = s.bytes
        var first = bytes.count
        for _ in 0..<(1 + rng.below(4)) {
            let p = min(aim(s, &rng), bytes.count)
            bytes.insert(contentsOf: rng.bytes(1 + rng.below(16)), at: p)
            first = min(first, p)
        }
        return plan(.inserted, bytes, s.owed(before: first), "insertions from byte \(first)")
    }

    /// 1 to 4 runs of 1 to 16 bytes deleted from a valid session.
    func deleted(_ n: Int, _ rng: inout SeededRandom) -> SessionPlan {
        let s = validSession(n, &rng)
        var bytes = s.bytes
        var first = bytes.count
        for _ in 0..<(1 + rng.below(4)) where bytes.count > 1 {
            let p = rng.below(bytes.count - 1)
            let length = min(1 + rng.below(16), bytes.count - p)
            bytes.removeSubrange(p..<(p + length))
            first = min(first, p)
        }
        return plan(.deleted, bytes, s.owed(before: first), "deletions from byte \(first)")
    }

    /// A valid session cut at a random byte; then our end closes.
    func truncated(_ n: Int, _ rng: inout SeededRandom) -> SessionPlan {
        let s = validSession(n, &rng)
        let cut = 1 + rng.below(s.bytes.count - 1)
        return plan(.truncated, Array(s.bytes.prefix(cut)), s.owed(before: cut), "cut at byte \(cut) of \(s.bytes.count)")
    }

    /// A valid session cut inside a frame, and the socket closed at once, unread.
    func vanished(_ n: Int, _ rng: inout SeededRandom) -> SessionPlan {
        let s = validSession(n, &rng)
        let frame = s.frames[rng.below(s.frames.count)]
        let cut = frame.lowerBound + 1 + rng.below(frame.count - 1)
        return plan(.vanished, Array(s.bytes.prefix(cut)), [], "closed at byte \(cut), inside frame \(frame)", ending: .vanish)
    }

    /// A frame header claiming an absurd length (0, 1, 2, around 64 KiB, 1 MiB, 2^31, 0xFFFFFFFF or random) after a valid prefix.
    func absurdLength(_ n: Int, _ rng: inout SeededRandom) -> SessionPlan {
        let s = validSession(n, &rng)
        let at = s.frames[rng.below(s.frames.count)].lowerBound
        let lengths: [UInt32] = [0, 1, 2, 65_535, 65_536, 65_537, 65_540, 1 << 20, (1 << 20) + 1,
                                 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, UInt32(truncatingIfNeeded: rng.next())]
        let length = lengths[rng.below(lengths.count)]
        let codes = Command.allCases.map(\.rawValue)
        var bytes = Array(s.bytes[..<at]) + ScriptBuilder.header(length)
        // why: a length up to 1 MiB + 1 is sent whole (libmilter must read or refuse it all);
        // beyond that, 64 bytes, and the rest never comes.
        if length > 0, length <= (1 << 20) + 1 {
            bytes.append(codes[rng.below(codes.count)])
            bytes += [UInt8](repeating: 0x78, count: Int(length) - 1)
            if rng.chance(2) { bytes += s.bytes[at...] }
        } else {
            bytes += rng.bytes(64)
        }
        return plan(.absurdLength, bytes, s.owed(before: at), "length \(length) at byte \(at)")
    }

    /// A command code libmilter does not know, then the rest of a valid session.
    func unknownCommand(_ n: Int, _ rng: inout SeededRandom) -> SessionPlan {
        let s = validSession(n, &rng)
        let known = Set(Command.allCases.map(\.rawValue))
        var code = UInt8(truncatingIfNeeded: rng.next())
        while known.contains(code) { code &+= 1 }
        let at = s.frames[min(s.frames.count - 1, 1 + rng.below(3))].lowerBound
        let payloadLength = rng.below(64)
        var bytes = Array(s.bytes[..<at]) + ScriptBuilder.header(UInt32(payloadLength + 1))
        bytes.append(code)
        bytes += rng.bytes(payloadLength)
        bytes += s.bytes[at...]
        return plan(.unknownCommand, bytes, s.owed(before: at), "code 0x\(String(code, radix: 16)) at byte \(at)")
    }

    /// 1 to 4,096 random bytes, half the time after a valid negotiation.
    func garbage(_ n: Int, _ rng: inout SeededRandom) -> SessionPlan {
        var bytes: [UInt8] = []
        var owed: [Owed] = []
        if rng.chance(2) {
            var s = ScriptBuilder(flags: flags)
            s.negotiation()
            bytes = s.bytes
            owed = s.allOwed
        }
        let count = 1 + rng.below(4096)
        bytes += rng.bytes(count)
        return plan(.garbage, bytes, owed, "\(count) random bytes\(owed.isEmpty ? "" : " after a negotiation")")
    }

    /// A byte position, half the time in the length or code bytes of a frame.
    private func aim(_ s: ScriptBuilder, _ rng: inout SeededRandom) -> Int {
        if rng.chance(2) {
            let frame = s.frames[rng.below(s.frames.count)]
            return min(frame.lowerBound + rng.below(5), s.bytes.count - 1)
        }
        return rng.below(s.bytes.count)
    }
}

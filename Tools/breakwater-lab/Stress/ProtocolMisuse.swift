import MilterWire
import Replay

/// The abuses that speak the protocol wrongly with well-formed frames: steps out of order, junk
/// macro frames, absurd negotiations, aborts and quits in the middle.
extension AbuseCatalogue {
    /// Steps in the wrong order: body before MAIL, EOM first, RCPT before negotiation, two negotiations,
    /// headers after EOM, frames shuffled, reversed or repeated.
    func outOfOrder(_ n: Int, _ rng: inout SeededRandom) -> SessionPlan {
        let s = validSession(n, &rng)
        let frames = s.frames.map { Array(s.bytes[$0]) }
        var one = ScriptBuilder(flags: flags)
        switch rng.below(8) {
        case 0:
            one.add(nil) { $0.body(Array("body before MAIL".utf8)) }
            let at = s.frames[min(s.frames.count - 1, 3)].lowerBound
            return plan(.outOfOrder, Array(s.bytes[..<at]) + one.bytes + s.bytes[at...], s.owed(before: at), "body before MAIL")
        case 1:
            one.add(nil) { $0.endOfBody() }
            return plan(.outOfOrder, one.bytes + s.bytes, [], "EOM first")
        case 2:
            one.add(nil) { $0.rcpt("<all@example.test>") }
            return plan(.outOfOrder, one.bytes + s.bytes, [], "RCPT before negotiation")
        case 3:
            let at = s.frames[1].lowerBound
            return plan(.outOfOrder, Array(s.bytes[..<at]) + frames[0] + s.bytes[at...], s.owed(before: at), "two negotiations")
        case 4:
            one.add(nil) { $0.header(name: "Subject", value: "late") }
            one.add(nil) { $0.endOfHeaders() }
            one.add(nil) { $0.body(Array("late".utf8)) }
            one.add(nil) { $0.endOfBody() }
            return plan(.outOfOrder, s.bytes + one.bytes, s.allOwed, "headers after EOM (and after QUIT)")
        case 5:
            var order = Array(frames.indices)
            order.shuffle(using: &rng)
            let same = order.enumerated().first { $0.offset != $0.element }?.offset ?? order.count
            let at = same < s.frames.count ? s.frames[same].lowerBound : s.bytes.count
            return plan(.outOfOrder, order.flatMap { frames[$0] }, s.owed(before: at), "frames shuffled")
        case 6:
            return plan(.outOfOrder, frames.reversed().flatMap { $0 }, [], "frames reversed")
        default:
            let i = rng.below(frames.count)
            let at = s.frames[i].upperBound
            let copies = 2 + rng.below(5)
            let bytes = Array(s.bytes[..<at]) + Array([[UInt8]](repeating: frames[i], count: copies).joined()) + s.bytes[at...]
            return plan(.outOfOrder, bytes, s.owed(before: at), "frame \(i) repeated \(copies) times")
        }
    }

    /// Macro frames ('D') with junk inserted before a frame of a valid session.
    func macroJunk(_ n: Int, _ rng: inout SeededRandom) -> SessionPlan {
        let s = validSession(n, &rng)
        let at = s.frames[rng.below(s.frames.count)].lowerBound
        var junk = ScriptBuilder(flags: flags)
        var what: [String] = []
        for _ in 0..<(1 + rng.below(3)) {
            switch rng.below(5) {
            case 4:
                // three strings: a name without a value (the known libmilter crash)
                junk.raw(Command.macro.rawValue, [Command.mail.rawValue] + Array("i".utf8) + [0] + Array("Q1".utf8) + [0]
                    + Array("{odd}".utf8) + [0])
                what.append("odd number of strings")
            case 0:
                junk.raw(Command.macro.rawValue, [UInt8(truncatingIfNeeded: rng.next())] + Array("{x}".utf8) + [0] + Array("v".utf8) + [0])
                what.append("unknown stage")
            case 1:
                junk.raw(Command.macro.rawValue, [Command.mail.rawValue] + Array("name-without-nul".utf8))
                what.append("no NUL")
            case 2:
                var payload: [UInt8] = [Command.rcpt.rawValue]
                for i in 0..<(100 + rng.below(400)) { payload += Array("{m\(i)}".utf8) + [0] + Array("value\(i)".utf8) + [0] }
                junk.raw(Command.macro.rawValue, payload)
                what.append("hundreds of pairs")
            default:
                junk.raw(Command.macro.rawValue, [])
                what.append("empty")
            }
        }
        let bytes = Array(s.bytes[..<at]) + junk.bytes + s.bytes[at...]
        return plan(.macroJunk, bytes, s.owed(before: at), what.joined(separator: ", ") + " at byte \(at)")
    }

    /// An option negotiation with absurd version, actions, flags or payload size, then a valid session.
    func badNegotiation(_ n: Int, _ rng: inout SeededRandom) -> SessionPlan {
        let versions: [UInt32] = [0, 1, 2, 5, 6, 7, 0xFFFF_FFFF, UInt32(truncatingIfNeeded: rng.next())]
        let version = versions[rng.below(versions.count)]
        var payload = ScriptBuilder.header(version) + ScriptBuilder.header(UInt32(truncatingIfNeeded: rng.next()))
            + ScriptBuilder.header(UInt32(truncatingIfNeeded: rng.next()))
        let size = [0, 3, 4, 8, 11, 12, 13, 64][rng.below(8)]
        payload = Array((payload + rng.bytes(max(0, size - payload.count))).prefix(size))
        var s = ScriptBuilder(flags: flags)
        s.raw(Command.optionNegotiation.rawValue, payload)
        let rest = validSession(n, &rng)
        let bytes = s.bytes + rest.bytes[rest.frames[0].upperBound...]
        return plan(.badNegotiation, bytes, [], "version \(version), \(size)-byte payload")
    }

    /// Abort ('A') and quit-new-connection ('K') frames before random frames of a valid two-message session.
    func aborts(_ n: Int, _ rng: inout SeededRandom) -> SessionPlan {
        let s = validSession(n, &rng, messages: 2)
        var before: [Int: UInt8] = [:]
        for _ in 0..<(1 + rng.below(3)) {
            before[1 + rng.below(s.frames.count - 1)] = rng.chance(2) ? Command.abort.rawValue : Command.quitNewConnection.rawValue
        }
        var bytes: [UInt8] = []
        for (i, frame) in s.frames.enumerated() {
            if let code = before[i] { bytes += ScriptBuilder.header(1) + [code] }
            bytes += s.bytes[frame]
        }
        let first = before.keys.min() ?? s.frames.count
        let at = first < s.frames.count ? s.frames[first].lowerBound : s.bytes.count
        let what = before.sorted { $0.key < $1.key }.map { "\(Character(UnicodeScalar($0.value))) before frame \($0.key)" }
        return plan(.aborts, bytes, s.owed(before: at), what.joined(separator: ", "))
    }
}

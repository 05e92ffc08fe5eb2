import MilterWire
import Replay

/// Builds the session for an index.
struct AbuseCatalogue: Sendable {
    let seed: UInt64
    let flags: ProtocolFlags
    /// Every Nth session is a stall (0: none); every Nth a big one.
    let stallEvery: Int
    let bigEvery: Int
    /// How long a stall is held at most before we let go.
    let stallSeconds: Double
    /// Draw again (same kind) when a session would carry a macro frame with an odd number of
    /// strings: the known libmilter crash (CHANGELOG.md), so the rest can still be measured.
    var avoidOddMacros = false
    /// Only these kinds are drawn at random (`--only`); empty: all of them.
    var only: Set<AbuseKind> = []

    func kind(index: Int, _ rng: inout SeededRandom) -> AbuseKind {
        if bigEvery > 0, index % bigEvery == bigEvery / 2 {
            return AbuseKind.big[(index / bigEvery) % AbuseKind.big.count]
        }
        if stallEvery > 0, index % stallEvery == stallEvery / 3 {
            return (index / stallEvery) % 2 == 0 ? .stall : .idle
        }
        let table = only.isEmpty ? AbuseKind.weighted : AbuseKind.weighted.filter { only.contains($0.0) }
        var pick = rng.below(table.reduce(0) { $0 + $1.1 })
        for (kind, weight) in table {
            if pick < weight { return kind }
            pick -= weight
        }
        return .valid
    }

    func plan(index: Int) -> SessionPlan {
        var rng = SeededRandom(seed: seed, index: UInt64(index))
        let kind = kind(index: index, &rng)
        var plan = build(kind, index: index, &rng)
        var rerolls = 0
        while avoidOddMacros, rerolls < 1000, Self.oddMacroFrame(in: plan.bytes) != nil {
            rerolls += 1
            plan = build(kind, index: index, &rng)
        }
        plan.rerolls = rerolls
        return plan
    }

    /// The offset of the first macro frame ('D') whose strings after the stage byte are odd in
    /// number, reading the bytes frame by frame as libmilter does; nil when there is none.
    ///
    /// why: libmilter's `dec_argv` makes one string per NUL, and `smfi_getsymval` walks the
    /// list two at a time until it meets NULL; with an odd count it steps over the terminating
    /// NULL and reads past the end of the array (a crash in strcmp, or a wrong value).
    /// libmilter's `mi_rd_cmd` keeps the length in a signed 32-bit int and returns "no payload"
    /// for length - 1 <= 0: a length of 0, 1 or 0x80000001 and above is a command with an empty
    /// payload, and the bytes after its code byte are read as the next frame; this walk does
    /// the same.
    static func oddMacroFrame(in bytes: [UInt8]) -> Int? {
        var at = 0
        while at + 5 <= bytes.count {
            let length = Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
            if length <= 1 || length > 0x8000_0000 {
                at += 5
                continue
            }
            guard at + 4 + length <= bytes.count else { return nil }
            if bytes[at + 4] == Command.macro.rawValue, length >= 2 {
                var nuls = 0
                for i in (at + 6)..<(at + 4 + length) where bytes[i] == 0 { nuls += 1 }
                if nuls % 2 == 1 { return at }
            }
            at += 4 + length
        }
        return nil
    }

    // MARK: the valid sessions everything else starts from

    /// A valid session: handshake, 1 to 3 messages with known verdicts, QUIT (most of the time).
    func validSession(_ n: Int, _ rng: inout SeededRandom, messages: Int? = nil) -> ScriptBuilder {
        var s = ScriptBuilder(flags: flags)
        s.handshake(n)
        for m in 0..<(messages ?? 1 + rng.below(3)) {
            appendMessage(&s, n, m, &rng)
        }
        if !rng.chance(8) { s.quit() }
        return s
    }

    /// An original to the 51-mailbox list (accepted), a direct reply (accepted), a reply-all to
    /// the list (refused by the hard gate) or plain mail to a few people (accepted).
    func appendMessage(_ s: inout ScriptBuilder, _ n: Int, _ m: Int, _ rng: inout SeededRandom) {
        let root = "h\(seed).\(n).\(m)@hostile.example"
        let author = "author\(rng.below(1000))@example.test"
        let user = "user\(rng.below(1000))@example.test"
        let body = Array("Hostile session \(n) message \(m).\r\n".utf8) + rng.bytes(rng.below(2) == 0 ? 0 : rng.below(2048))
            .map { 0x20 + $0 % 0x5F }
        switch rng.below(4) {
        case 0:
            s.message(sender: "<\(author)>", recipients: ["<all@example.test>"],
                      headers: [("From", author), ("To", "all@example.test"), ("Message-ID", "<\(root)>"),
                                ("Subject", "Topic \(n)")],
                      body: body, verdict: .accept, queueID: "H\(n)x\(m)")
        case 1:
            s.message(sender: "<\(user)>", recipients: ["<\(author)>"],
                      headers: [("From", user), ("To", author), ("Message-ID", "<direct.\(root)>"),
                                ("In-Reply-To", "<\(root)>"), ("References", "<\(root)>"), ("Subject", "Re: Topic \(n)")],
                      body: body, verdict: .accept, queueID: "H\(n)x\(m)")
        case 2:
            s.message(sender: "<\(user)>", recipients: ["<all@example.test>", "<\(author)>"],
                      headers: [("From", user), ("To", "all@example.test"), ("Cc", author),
                                ("Message-ID", "<reply.\(root)>"), ("In-Reply-To", "<\(root)>"),
                                ("References", "<\(root)>"), ("Subject", "Re: Topic \(n)")],
                      body: body, verdict: .refuse, queueID: "H\(n)x\(m)")
        default:
            let recipients = (0...rng.below(3)).map { "<r\($0).\(n)@example.test>" }
            s.message(sender: "<\(user)>", recipients: recipients,
                      headers: [("From", user), ("To", recipients.joined(separator: ", ")),
                                ("Message-ID", "<plain.\(root)>"), ("Subject", "Lunch \(n)")],
                      body: body, verdict: .accept, queueID: "H\(n)x\(m)")
        }
    }

    // MARK: the abuses, by family (ByteDamage.swift, ProtocolMisuse.swift, HeldAndHuge.swift)

    /// The session of `kind`: the draws each kind makes from `rng` are its own, in a fixed order.
    func build(_ kind: AbuseKind, index n: Int, _ rng: inout SeededRandom) -> SessionPlan {
        switch kind {
        case .valid:
            let s = validSession(n, &rng)
            return plan(.valid, s.bytes, s.allOwed, "\(s.frames.count) frames")
        case .fragmented:
            let s = validSession(n, &rng)
            let piece = 1 + rng.below(32)
            return plan(.fragmented, s.bytes, s.allOwed, "\(s.frames.count) frames in pieces of \(piece) bytes", pieces: piece)
        case .flipped: return flipped(n, &rng)
        case .inserted: return inserted(n, &rng)
        case .deleted: return deleted(n, &rng)
        case .truncated: return truncated(n, &rng)
        case .vanished: return vanished(n, &rng)
        case .absurdLength: return absurdLength(n, &rng)
        case .unknownCommand: return unknownCommand(n, &rng)
        case .outOfOrder: return outOfOrder(n, &rng)
        case .garbage: return garbage(n, &rng)
        case .macroJunk: return macroJunk(n, &rng)
        case .badNegotiation: return badNegotiation(n, &rng)
        case .aborts: return aborts(n, &rng)
        case .stall: return stall(n, &rng)
        case .idle: return idle(n, &rng)
        case .rcpt100k: return rcpt100k(n, &rng)
        case .header1MiB: return header1MiB(n, &rng)
        case .headers10k: return headers10k(n, &rng)
        }
    }

    /// A session of `kind` from its bytes and what a correct filter owes for them.
    func plan(_ kind: AbuseKind, _ bytes: [UInt8], _ owed: [Owed], _ detail: String, ending: SessionEnding = .finish,
              pieces: Int? = nil) -> SessionPlan {
        SessionPlan(kind: kind, bytes: bytes, owed: owed, ending: ending, pieceLimit: pieces, detail: detail)
    }
}

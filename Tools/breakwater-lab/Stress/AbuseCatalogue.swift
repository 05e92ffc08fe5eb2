import MilterWire
import Replay

/// The abuses `breakwater-lab hostile` picks from, and the byte scripts they become.
///
/// Every session is a pure function of (seed, session index): `AbuseCatalogue.plan(index:)`
/// gives the same bytes again, so a session that broke something can be replayed alone
/// (`hostile --replay INDEX --seed S`).
enum AbuseKind: Int, CaseIterable, Sendable {
    /// A well-formed session (1 to 3 messages): every verdict is checked.
    case valid
    /// A well-formed session written in pieces of 1 to 32 bytes, one send each: verdicts checked.
    case fragmented
    /// A valid session with 1 to 8 bytes XOR-ed (half the time aimed at length and code bytes).
    case flipped
    /// A valid session with 1 to 4 runs of 1 to 16 random bytes inserted.
    case inserted
    /// A valid session with 1 to 4 runs of 1 to 16 bytes deleted.
    case deleted
    /// A valid session cut at a random byte, then our end closed (FIN).
    case truncated
    /// A valid session cut in the middle of a frame and the socket closed at once, unread.
    case vanished
    /// A frame header claiming 0, 1, 2, 64 KiB + a little, 1 MiB (+1), 2^31, 0xFFFFFFFF or a
    /// random length, after a valid prefix.
    case absurdLength
    /// A command code libmilter does not know, then the rest of a valid session.
    case unknownCommand
    /// Steps in the wrong order: body before MAIL, EOM first, RCPT before negotiation, two
    /// negotiations, headers after EOM, frames shuffled, reversed or repeated.
    case outOfOrder
    /// 1 to 4,096 random bytes (half the time after a valid negotiation).
    case garbage
    /// Macro frames ('D') with junk: unknown stage, no NUL, hundreds of pairs, an odd count.
    case macroJunk
    /// Option negotiation with absurd versions, actions, flags and payload sizes.
    case badNegotiation
    /// Abort ('A') and quit-new-connection ('K') frames at random points of a valid session.
    case aborts
    /// Half a frame, then nothing: the connection is held until the daemon drops it or the
    /// stall limit passes. Scheduled every `--stall-every` sessions, not drawn at random.
    case stall
    /// A valid handshake, then silence between frames (held like `stall`).
    case idle
    /// One message with 100,000 RCPTs (scheduled every `--big-every` sessions, in turn with
    /// the next two).
    case rcpt100k
    /// One message with a 1 MiB Subject header.
    case header1MiB
    /// One message with 10,000 headers.
    case headers10k

    var name: String {
        switch self {
        case .valid: "valid"
        case .fragmented: "fragmented"
        case .flipped: "byte-flips"
        case .inserted: "insertions"
        case .deleted: "deletions"
        case .truncated: "truncated"
        case .vanished: "vanished"
        case .absurdLength: "absurd-length"
        case .unknownCommand: "unknown-command"
        case .outOfOrder: "out-of-order"
        case .garbage: "garbage"
        case .macroJunk: "macro-junk"
        case .badNegotiation: "bad-negotiation"
        case .aborts: "aborts"
        case .stall: "stall-mid-frame"
        case .idle: "stall-idle"
        case .rcpt100k: "100k-rcpt"
        case .header1MiB: "1MiB-header"
        case .headers10k: "10k-headers"
        }
    }

    /// Relative weights of the kinds drawn at random (stalls and big ones are scheduled).
    static let weighted: [(AbuseKind, Int)] = [
        (.valid, 10), (.fragmented, 5), (.flipped, 12), (.inserted, 8), (.deleted, 8),
        (.truncated, 12), (.vanished, 8), (.absurdLength, 8), (.unknownCommand, 6),
        (.outOfOrder, 10), (.garbage, 8), (.macroJunk, 4), (.badNegotiation, 5), (.aborts, 4),
    ]
    static let big: [AbuseKind] = [.rcpt100k, .header1MiB, .headers10k]
}

/// What a correct filter owes for one frame of the valid part of a session.
enum Owed: Sendable, Equatable {
    /// The option negotiation answer.
    case negotiation
    /// A step reply (continue, or a verdict).
    case step
    /// End of message: the message must be accepted.
    case accept
    /// End of message: the message must be refused with a 5xx.
    case refuse
    /// End of message: any verdict.
    case anyVerdict
}

/// How the session ends once its bytes are written.
enum SessionEnding: Sendable, Equatable {
    /// shutdown(SHUT_WR), then read until the daemon closes.
    case finish
    /// close() at once, without reading what is owed.
    case vanish
    /// Keep the connection open, sending nothing, until the daemon closes it or `seconds` pass.
    case hold(seconds: Double)
}

/// One session, ready for `HostileSession.run`.
struct SessionPlan: Sendable {
    var kind: AbuseKind
    var bytes: [UInt8]
    /// What a correct filter owes, in order, for the frames before the first abuse.
    var owed: [Owed]
    var ending: SessionEnding
    /// Largest single send (nil: as much as the socket takes).
    var pieceLimit: Int?
    /// A short description of what was done (for --replay and failure reports).
    var detail: String
    /// Draws thrown away because they would have sent a known crasher (`--avoid-odd-macros`).
    var rerolls = 0
}

/// seeded SplitMix64: fast, and every session gets its own stream from (seed, index).
typealias HostileRandom = SeededRandom

extension SeededRandom {
    /// The stream of session `index` of a run seeded `seed`.
    init(seed: UInt64, index: UInt64) {
        self.init(seed: seed &* 0x9E37_79B9_7F4A_7C15 ^ (index &+ 0x632B_E59B_D9B4_E019) &* 0xBF58_476D_1CE4_E5B9)
        _ = next()
    }

    /// Uniform in 0..<bound (0 for a bound of 1 or less; the modulo bias is irrelevant here).
    mutating func below(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(next() % UInt64(bound)) }
    mutating func chance(_ oneIn: Int) -> Bool { below(oneIn) == 0 }
    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: next()) } }
}

/// Valid frames with what each one is owed, built with MilterWire's encoder.
struct ScriptBuilder {
    /// What the daemon answered at negotiation: which steps it wants and which it answers.
    let flags: ProtocolFlags
    private(set) var bytes: [UInt8] = []
    /// Every frame as a byte range of `bytes`.
    private(set) var frames: [Range<Int>] = []
    /// (end offset of the frame, what it is owed).
    private(set) var owed: [(end: Int, what: Owed)] = []

    init(flags: ProtocolFlags) { self.flags = flags }

    mutating func add(_ owes: Owed?, _ encode: (inout CommandEncoder) -> Void) {
        var encoder = CommandEncoder(capacity: 256)
        encode(&encoder)
        guard !encoder.isEmpty else { return }
        let start = bytes.count
        bytes.append(contentsOf: encoder.bytes)
        frames.append(start..<bytes.count)
        if let owes { owed.append((bytes.count, owes)) }
    }

    /// A frame of any code and payload, owed nothing.
    mutating func raw(_ code: UInt8, _ payload: [UInt8]) {
        let start = bytes.count
        bytes.append(contentsOf: Self.header(UInt32(payload.count + 1)))
        bytes.append(code)
        bytes.append(contentsOf: payload)
        frames.append(start..<bytes.count)
    }

    static func header(_ length: UInt32) -> [UInt8] {
        [UInt8(truncatingIfNeeded: length >> 24), UInt8(truncatingIfNeeded: length >> 16),
         UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
    }

    /// A step the filter wants sent; nil owed when it said it will not answer it.
    private func step(_ skip: ProtocolFlags, _ noReply: ProtocolFlags) -> (send: Bool, owes: Owed?) {
        (!flags.contains(skip), flags.contains(noReply) ? nil : .step)
    }

    mutating func negotiation() {
        add(.negotiation) { $0.optionNegotiation(version: 6, actions: .all, flags: .all) }
    }

    mutating func handshake(_ n: Int) {
        negotiation()
        let c = step(.noConnect, .noReplyConnect)
        if c.send {
            add(nil) { $0.macros(for: .connect, ["j": "mx.hostile.example", "_": "client\(n) [192.0.2.9]"]) }
            add(c.owes) { $0.connect(hostname: "client\(n).hostile.example", address: .inet(address: "192.0.2.9", port: 40000)) }
        }
        let h = step(.noHelo, .noReplyHelo)
        if h.send { add(h.owes) { $0.helo("client\(n).hostile.example") } }
    }

    /// One message: MAIL, RCPTs, DATA, headers, EOH, body, EOM, owed `verdict` at the end.
    mutating func message(sender: String, recipients: [String], headers: [(String, String)],
                          body: [UInt8], verdict: Owed, queueID: String) {
        let m = step(.noMail, .noReplyMail)
        if m.send {
            add(nil) { $0.macros(for: .mail, ["i": queueID, "{mail_addr}": sender]) }
            add(m.owes) { $0.mail(sender) }
        }
        let r = step(.noRcpt, .noReplyRcpt)
        if r.send { for recipient in recipients { add(r.owes) { $0.rcpt(recipient) } } }
        let d = step(.noData, .noReplyData)
        if d.send { add(d.owes) { $0.data() } }
        let h = step(.noHeaders, .noReplyHeader)
        if h.send { for (name, value) in headers { add(h.owes) { $0.header(name: name, value: value) } } }
        let e = step(.noEndOfHeaders, .noReplyEndOfHeaders)
        if e.send { add(e.owes) { $0.endOfHeaders() } }
        let b = step(.noBody, .noReplyBody)
        if b.send, !body.isEmpty {
            var rest = body[...]
            while !rest.isEmpty {
                let chunk = rest.prefix(CommandEncoder.maxBodyChunk)
                rest = rest.dropFirst(chunk.count)
                add(b.owes) { $0.body(chunk) }
            }
        }
        add(verdict) { $0.endOfBody() }
    }

    mutating func quit() { add(nil) { $0.quit() } }

    /// The owed answers of the frames that end at or before `offset`.
    func owed(before offset: Int) -> [Owed] { owed.filter { $0.end <= offset }.map(\.what) }
    var allOwed: [Owed] { owed.map(\.what) }
}

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
    /// strings: the known libmilter crash (RELIABILITY.md), so the rest can still be measured.
    var avoidOddMacros = false
    /// Only these kinds are drawn at random (`--only`); empty: all of them.
    var only: Set<AbuseKind> = []

    func kind(index: Int, _ rng: inout HostileRandom) -> AbuseKind {
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
        var rng = HostileRandom(seed: seed, index: UInt64(index))
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
    func validSession(_ n: Int, _ rng: inout HostileRandom, messages: Int? = nil) -> ScriptBuilder {
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
    func appendMessage(_ s: inout ScriptBuilder, _ n: Int, _ m: Int, _ rng: inout HostileRandom) {
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

    // MARK: the abuses

    func build(_ kind: AbuseKind, index n: Int, _ rng: inout HostileRandom) -> SessionPlan {
        func plan(_ bytes: [UInt8], _ owed: [Owed], _ detail: String, ending: SessionEnding = .finish,
                  pieces: Int? = nil) -> SessionPlan {
            SessionPlan(kind: kind, bytes: bytes, owed: owed, ending: ending, pieceLimit: pieces, detail: detail)
        }
        switch kind {
        case .valid:
            let s = validSession(n, &rng)
            return plan(s.bytes, s.allOwed, "\(s.frames.count) frames")
        case .fragmented:
            let s = validSession(n, &rng)
            let piece = 1 + rng.below(32)
            return plan(s.bytes, s.allOwed, "\(s.frames.count) frames in pieces of \(piece) bytes", pieces: piece)
        case .flipped:
            let s = validSession(n, &rng)
            var bytes = s.bytes
            var first = bytes.count
            for _ in 0..<(1 + rng.below(8)) {
                let p = aim(s, &rng)
                bytes[p] ^= UInt8(1 + rng.below(255))
                first = min(first, p)
            }
            return plan(bytes, s.owed(before: first), "flips from byte \(first) of \(bytes.count)")
        case .inserted:
            let s = validSession(n, &rng)
            var bytes = s.bytes
            var first = bytes.count
            for _ in 0..<(1 + rng.below(4)) {
                let p = min(aim(s, &rng), bytes.count)
                bytes.insert(contentsOf: rng.bytes(1 + rng.below(16)), at: p)
                first = min(first, p)
            }
            return plan(bytes, s.owed(before: first), "insertions from byte \(first)")
        case .deleted:
            let s = validSession(n, &rng)
            var bytes = s.bytes
            var first = bytes.count
            for _ in 0..<(1 + rng.below(4)) where bytes.count > 1 {
                let p = rng.below(bytes.count - 1)
                let length = min(1 + rng.below(16), bytes.count - p)
                bytes.removeSubrange(p..<(p + length))
                first = min(first, p)
            }
            return plan(bytes, s.owed(before: first), "deletions from byte \(first)")
        case .truncated:
            let s = validSession(n, &rng)
            let cut = 1 + rng.below(s.bytes.count - 1)
            return plan(Array(s.bytes.prefix(cut)), s.owed(before: cut), "cut at byte \(cut) of \(s.bytes.count)")
        case .vanished:
            let s = validSession(n, &rng)
            let frame = s.frames[rng.below(s.frames.count)]
            let cut = frame.lowerBound + 1 + rng.below(frame.count - 1)
            return plan(Array(s.bytes.prefix(cut)), [], "closed at byte \(cut), inside frame \(frame)", ending: .vanish)
        case .absurdLength:
            return absurdLength(n, &rng, plan)
        case .unknownCommand:
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
            return plan(bytes, s.owed(before: at), "code 0x\(String(code, radix: 16)) at byte \(at)")
        case .outOfOrder:
            return outOfOrder(n, &rng, plan)
        case .garbage:
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
            return plan(bytes, owed, "\(count) random bytes\(owed.isEmpty ? "" : " after a negotiation")")
        case .macroJunk:
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
            return plan(bytes, s.owed(before: at), what.joined(separator: ", ") + " at byte \(at)")
        case .badNegotiation:
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
            return plan(bytes, [], "version \(version), \(size)-byte payload")
        case .aborts:
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
            return plan(bytes, s.owed(before: at), what.joined(separator: ", "))
        case .stall:
            let s = validSession(n, &rng)
            let choice = rng.below(3)
            // in the negotiation, mid-MAIL (or whichever frame is 4th), or a bare length header
            let frame = s.frames[[0, min(3, s.frames.count - 1), min(2, s.frames.count - 1)][choice]]
            let cut = choice == 2 ? frame.lowerBound + 4 : frame.lowerBound + 1 + rng.below(frame.count - 1)
            return plan(Array(s.bytes.prefix(cut)), s.owed(before: cut), "held after byte \(cut), inside frame \(frame)",
                        ending: .hold(seconds: stallSeconds))
        case .idle:
            var s = ScriptBuilder(flags: flags)
            s.handshake(n)
            return plan(s.bytes, s.allOwed, "handshake, then silence", ending: .hold(seconds: stallSeconds))
        case .rcpt100k:
            var s = ScriptBuilder(flags: flags)
            s.handshake(n)
            let recipients = (0..<100_000).map { "<r\($0)@big.hostile.example>" }
            s.message(sender: "<bulk\(n)@example.test>", recipients: recipients,
                      headers: [("From", "bulk\(n)@example.test"), ("To", "many@big.hostile.example"),
                                ("Message-ID", "<big.\(seed).\(n)@hostile.example>"), ("Subject", "Big \(n)")],
                      body: Array("big\r\n".utf8), verdict: .anyVerdict, queueID: "B\(n)")
            s.quit()
            return plan(s.bytes, s.allOwed, "100,000 RCPTs, \(s.bytes.count) bytes")
        case .header1MiB:
            var s = ScriptBuilder(flags: flags)
            s.handshake(n)
            s.message(sender: "<huge\(n)@example.test>", recipients: ["<one@example.test>"],
                      headers: [("From", "huge\(n)@example.test"), ("Subject", String(repeating: "x", count: 1 << 20))],
                      body: Array("huge\r\n".utf8), verdict: .anyVerdict, queueID: "G\(n)")
            s.quit()
            return plan(s.bytes, s.allOwed, "a 1 MiB Subject, \(s.bytes.count) bytes")
        case .headers10k:
            var s = ScriptBuilder(flags: flags)
            s.handshake(n)
            let headers = [("From", "many\(n)@example.test"), ("To", "one@example.test")]
                + (0..<10_000).map { ("X-Hostile-\($0)", "value \($0)") }
            s.message(sender: "<many\(n)@example.test>", recipients: ["<one@example.test>"], headers: headers,
                      body: Array("many\r\n".utf8), verdict: .anyVerdict, queueID: "M\(n)")
            s.quit()
            return plan(s.bytes, s.allOwed, "10,000 headers, \(s.bytes.count) bytes")
        }
    }

    /// A byte position, half the time in the length or code bytes of a frame.
    private func aim(_ s: ScriptBuilder, _ rng: inout HostileRandom) -> Int {
        if rng.chance(2) {
            let frame = s.frames[rng.below(s.frames.count)]
            return min(frame.lowerBound + rng.below(5), s.bytes.count - 1)
        }
        return rng.below(s.bytes.count)
    }

    private func absurdLength(_ n: Int, _ rng: inout HostileRandom,
                              _ plan: ([UInt8], [Owed], String, SessionEnding, Int?) -> SessionPlan) -> SessionPlan {
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
        return plan(bytes, s.owed(before: at), "length \(length) at byte \(at)", .finish, nil)
    }

    private func outOfOrder(_ n: Int, _ rng: inout HostileRandom,
                            _ plan: ([UInt8], [Owed], String, SessionEnding, Int?) -> SessionPlan) -> SessionPlan {
        let s = validSession(n, &rng)
        let frames = s.frames.map { Array(s.bytes[$0]) }
        var one = ScriptBuilder(flags: flags)
        switch rng.below(8) {
        case 0:
            one.add(nil) { $0.body(Array("body before MAIL".utf8)) }
            let at = s.frames[min(s.frames.count - 1, 3)].lowerBound
            return plan(Array(s.bytes[..<at]) + one.bytes + s.bytes[at...], s.owed(before: at), "body before MAIL", .finish, nil)
        case 1:
            one.add(nil) { $0.endOfBody() }
            return plan(one.bytes + s.bytes, [], "EOM first", .finish, nil)
        case 2:
            one.add(nil) { $0.rcpt("<all@example.test>") }
            return plan(one.bytes + s.bytes, [], "RCPT before negotiation", .finish, nil)
        case 3:
            let at = s.frames[1].lowerBound
            return plan(Array(s.bytes[..<at]) + frames[0] + s.bytes[at...], s.owed(before: at), "two negotiations", .finish, nil)
        case 4:
            one.add(nil) { $0.header(name: "Subject", value: "late") }
            one.add(nil) { $0.endOfHeaders() }
            one.add(nil) { $0.body(Array("late".utf8)) }
            one.add(nil) { $0.endOfBody() }
            return plan(s.bytes + one.bytes, s.allOwed, "headers after EOM (and after QUIT)", .finish, nil)
        case 5:
            var order = Array(frames.indices)
            order.shuffle(using: &rng)
            let same = order.enumerated().first { $0.offset != $0.element }?.offset ?? order.count
            let at = same < s.frames.count ? s.frames[same].lowerBound : s.bytes.count
            return plan(order.flatMap { frames[$0] }, s.owed(before: at), "frames shuffled", .finish, nil)
        case 6:
            return plan(frames.reversed().flatMap { $0 }, [], "frames reversed", .finish, nil)
        default:
            let i = rng.below(frames.count)
            let at = s.frames[i].upperBound
            let copies = 2 + rng.below(5)
            let bytes = Array(s.bytes[..<at]) + Array([[UInt8]](repeating: frames[i], count: copies).joined()) + s.bytes[at...]
            return plan(bytes, s.owed(before: at), "frame \(i) repeated \(copies) times", .finish, nil)
        }
    }
}

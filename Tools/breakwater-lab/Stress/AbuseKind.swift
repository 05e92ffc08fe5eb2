/// The abuses `breakwater-lab hostile` picks from (the byte scripts they become: AbuseCatalogue).
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

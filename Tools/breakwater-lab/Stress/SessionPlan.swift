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

public import MilterWire

/// What a filter (or the engine, offline) decided about one message, in milter terms.
/// Mirrors MilterWire's `MessageResult`, which the offline replay cannot construct.
public struct FilterOutcome: Sendable, Equatable {
    /// The final verdict.
    public var verdict: FilterVerdict
    /// Where it was reached.
    public var decidedAt: MessageStep
    /// Changes asked for at end of message, in order.
    public var modifications: [Modification]

    /// An outcome with the given parts.
    public init(verdict: FilterVerdict, decidedAt: MessageStep = .endOfMessage, modifications: [Modification] = []) {
        self.verdict = verdict
        self.decidedAt = decidedAt
        self.modifications = modifications
    }

    /// What a live filter answered.
    public init(_ result: MessageResult) {
        self.init(verdict: result.verdict, decidedAt: result.decidedAt, modifications: result.modifications)
    }

    /// Headers the filter appended.
    public var addedHeaders: [HeaderField] {
        modifications.compactMap { if case let .addHeader(field) = $0 { field } else { nil } }
    }
    /// Recipients the filter added.
    public var addedRecipients: [String] {
        modifications.compactMap { if case let .addRecipient(r, _) = $0 { r } else { nil } }
    }
    /// Recipients the filter deleted.
    public var deletedRecipients: [String] {
        modifications.compactMap { if case let .deleteRecipient(r) = $0 { r } else { nil } }
    }
    /// The quarantine reason, when the message goes to the hold queue.
    public var quarantineReason: String? {
        modifications.lazy.compactMap { if case let .quarantine(reason) = $0 { reason } else { nil } }.last
    }
}

/// A header name and value.
public struct HeaderField: Sendable, Equatable {
    /// Header name, without the colon.
    public var name: String
    /// Header value, as sent.
    public var value: String
    /// A header field.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A change a filter asked for at end of message.
public enum Modification: Sendable, Equatable {
    /// Append a header.
    case addHeader(HeaderField)
    /// Insert a header at a position.
    case insertHeader(index: UInt32, HeaderField)
    /// Change the index-th header of a name (empty value: delete it).
    case changeHeader(index: UInt32, HeaderField)
    /// Add a recipient (with ESMTP arguments when given).
    case addRecipient(String, arguments: String?)
    /// Delete a recipient.
    case deleteRecipient(String)
    /// Change the envelope sender.
    case changeSender(String, arguments: String?)
    /// Replace the body (chunks already joined).
    case replaceBody([UInt8])
    /// Hold the message with a reason.
    case quarantine(reason: String)
}

/// A recipient the filter refused at RCPT.
public struct RejectedRecipient: Sendable, Equatable {
    /// The recipient as sent.
    public var recipient: String
    /// How it was refused.
    public var verdict: FilterVerdict
}

/// Everything the filter said about one message.
public struct MessageResult: Sendable, Equatable {
    /// The final verdict.
    public var verdict: FilterVerdict
    /// Where it was reached: `.endOfMessage`, or earlier for an early verdict.
    public var decidedAt: MessageStep
    /// Changes asked for at end of message, in order.
    public var modifications: [Modification] = []
    /// Recipients refused one by one at RCPT.
    public var rejectedRecipients: [RejectedRecipient] = []

    /// Headers the filter appended.
    public var addedHeaders: [HeaderField] {
        modifications.compactMap { if case let .addHeader(field) = $0 { field } else { nil } }
    }
    /// Headers the filter inserted or changed.
    public var changedHeaders: [Modification] {
        modifications.filter {
            switch $0 {
            case .insertHeader, .changeHeader: true
            default: false
            }
        }
    }
    /// Recipients the filter added.
    public var addedRecipients: [String] {
        modifications.compactMap { if case let .addRecipient(r, _) = $0 { r } else { nil } }
    }
    /// Recipients the filter deleted.
    public var deletedRecipients: [String] {
        modifications.compactMap { if case let .deleteRecipient(r) = $0 { r } else { nil } }
    }
    /// The quarantine reason; with an accept verdict the message goes to the hold queue.
    public var quarantineReason: String? {
        modifications.lazy.compactMap { if case let .quarantine(reason) = $0 { reason } else { nil } }.last
    }
}

import StormCore

/// What the MTA has said so far about the message in progress on one connection.
///
/// Bounded whatever the client sends: recipients past `maxRecipients` are counted, not kept,
/// and the header fields Breakwater reads stop being recorded past `maxHeaderBytes` in total
/// (each field is also cut by `MessageHeaders`).
struct MessageDraft {
    /// Recipient strings kept per message; Postfix's own default limit is 1,000 per message
    /// (smtpd_recipient_limit), so only a deliberate flood reaches this.
    static let maxRecipients = 100_000
    /// Bytes of the read header fields recorded per message.
    static let maxHeaderBytes = 4 << 20

    var facts: MessageFacts
    /// Recipients seen, including those not kept.
    var recipientCount = 0
    /// Bytes of header values recorded so far.
    var headerBytes = 0
    /// The verdict, once decided (at end of headers, or at end of message if there was none).
    var verdict: Verdict?

    init(sender: String, saslUser: String?, clientAddress: String?, queueID: String?) {
        facts = MessageFacts(sender: sender, saslUser: saslUser, clientAddress: clientAddress, queueID: queueID)
    }

    /// True when some recipients were counted but not kept (a trim cannot name them all).
    var droppedRecipients: Bool { recipientCount > facts.recipients.count }

    mutating func addRecipient(_ raw: String) {
        recipientCount += 1
        if facts.recipients.count < Self.maxRecipients { facts.recipients.append(raw) }
    }

    /// Records a field the engine reads; true when it was recorded.
    @discardableResult
    mutating func addHeader(name: String, value: String) -> Bool {
        guard headerBytes < Self.maxHeaderBytes, Self.isRead(name) else { return false }
        headerBytes += min(value.utf8.count, MessageHeaders.maxValueBytes)
        facts.headers.record(name: name, value: value)
        return true
    }

    mutating func noteQueueID(_ id: String?) {
        if let id, !id.isEmpty { facts.queueID = id }
    }

    /// The fields `MessageHeaders` keeps; others are not worth counting against the budget.
    private static func isRead(_ name: String) -> Bool {
        switch name.lowercased() {
        case "message-id", "in-reply-to", "references", "subject", "from", "to", "cc",
             "auto-submitted", "x-auto-response-suppress", "precedence": true
        default: false
        }
    }
}

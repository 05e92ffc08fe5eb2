/// What the MTA has said so far about one message, as the filter heard it: the one place where
/// milter steps become `MessageFacts`. The daemon feeds it from libmilter's callbacks and the
/// offline replay from a session file, so both judge the same facts; the recorder writes a
/// session back from it.
///
/// Bounded whatever the client sends: recipients past `maxRecipients` are counted, not kept,
/// and the header fields Breakwater reads stop being recorded past `maxHeaderBytes` in total
/// (each field is also cut by `MessageHeaders`).
public struct MessageDraft: Sendable {
    /// Recipient strings kept per message; Postfix's own default limit is 1,000 per message
    /// (smtpd_recipient_limit), so only a deliberate flood reaches this.
    public static let maxRecipients = 100_000
    /// Bytes of the read header fields recorded per message.
    public static let maxHeaderBytes = 4 << 20

    /// Where a queue id (the `i` macro) was read: Postfix sends it from DATA on, sendmail -t at MAIL.
    public enum Stage: Sendable, Equatable { case mailFrom, endOfHeaders, endOfMessage }

    /// The facts so far; the engine reads them once the headers are complete.
    public private(set) var facts: MessageFacts
    /// MAIL FROM's arguments as given: the address, then its ESMTP parameters.
    public let mailArguments: [String]
    /// ESMTP parameters of the kept recipients that had any, by recipient number.
    public private(set) var recipientParameters: [Int: [String]] = [:]
    /// The fields Breakwater reads, in the order they came, as far as they were recorded; kept
    /// only for a recording (`keepsReadFields`), since the facts already hold what the engine reads.
    public private(set) var readFields: [HeaderField] = []
    /// True when `readFields` is kept.
    public let keepsReadFields: Bool
    /// Each queue id read and where, in order; a repeat of the last one is not listed again.
    public private(set) var queueIDs: [(stage: Stage, id: String)] = []
    /// Seconds since 1970 at MAIL FROM.
    public let startedAt: Int64
    /// Bytes of header values recorded so far.
    private var headerBytes = 0

    /// A message starting at MAIL FROM with `mailArguments`, at `startedAt`; `keepsReadFields`
    /// when it will be recorded.
    public init(mailArguments: [String], saslUser: String?, clientAddress: String?, queueID: String?, startedAt: Int64,
                keepsReadFields: Bool = false) {
        self.keepsReadFields = keepsReadFields
        // why joined: the sender keeps its ESMTP parameters (the engine parses them away).
        facts = MessageFacts(sender: mailArguments.joined(separator: " "), saslUser: saslUser,
                             clientAddress: clientAddress)
        self.mailArguments = mailArguments
        self.startedAt = startedAt
        noteQueueID(queueID, at: .mailFrom)
    }

    /// Recipients given, including those not kept.
    public var recipientCount: Int { facts.recipients.count + facts.recipientsNotKept }

    /// RCPT TO with its arguments: the address, exactly as sent (a trim deletes recipients by
    /// this spelling), then its ESMTP parameters.
    public mutating func addRecipient(_ arguments: [String]) {
        guard let raw = arguments.first else { return }
        guard facts.recipients.count < Self.maxRecipients else {
            facts.recipientsNotKept += 1
            return
        }
        if arguments.count > 1 { recipientParameters[facts.recipients.count] = Array(arguments.dropFirst()) }
        facts.recipients.append(raw)
    }

    /// Records a field the engine reads; true when it was recorded.
    @discardableResult
    public mutating func addHeader(name: String, value: String) -> Bool {
        guard headerBytes < Self.maxHeaderBytes, Self.isRead(name) else { return false }
        headerBytes += min(value.utf8.count, MessageHeaders.maxValueBytes)
        facts.headers.record(name: name, value: value)
        if keepsReadFields { readFields.append(HeaderField(name: name, value: value)) }
        return true
    }

    /// A queue id read at `stage`; the latest one names the message in logs.
    public mutating func noteQueueID(_ id: String?, at stage: Stage) {
        guard let id, !id.isEmpty, queueIDs.last?.id != id else { return }
        queueIDs.append((stage, id))
        facts.queueID = id
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

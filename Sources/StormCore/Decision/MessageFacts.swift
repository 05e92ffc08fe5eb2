/// Everything the MTA told Breakwater about one message, as it was said.
///
/// The bridge fills this in step by step and hands it to the engine once, when the headers are
/// complete. Nothing here is parsed yet: the engine parses, so that the replay harness and the
/// daemon judge the same bytes the same way.
public struct MessageFacts: Sendable {
    /// Envelope sender as given at MAIL FROM, with its ESMTP parameters (`<a@b> SIZE=10`).
    public var sender: String
    /// Envelope recipients as given at RCPT TO, each with its ESMTP parameters.
    public var recipients: [String]
    /// SASL login name (`{auth_authen}`), if the client authenticated.
    public var saslUser: String?
    /// Client IP address in text form (`192.0.2.1`, `2001:db8::1`), if known.
    public var clientAddress: String?
    /// The MTA's queue id (`i` macro), for logs only.
    public var queueID: String?
    /// The headers Breakwater reads.
    public var headers: MessageHeaders
    /// Recipients the MTA gave past the bound the bridge keeps (counted, not kept): a trim
    /// cannot delete them, so the engine refuses such a message instead of trimming it.
    public var recipientsNotKept: Int = 0

    public init(sender: String, recipients: [String] = [], saslUser: String? = nil,
                clientAddress: String? = nil, queueID: String? = nil,
                headers: MessageHeaders = MessageHeaders()) {
        self.sender = sender
        self.recipients = recipients
        self.saslUser = saslUser
        self.clientAddress = clientAddress
        self.queueID = queueID
        self.headers = headers
    }
}

/// The header fields Breakwater reads; every other header is ignored.
public struct MessageHeaders: Sendable, Equatable {
    public var messageID: String?
    public var inReplyTo: String?
    public var references: String?
    public var subject: String?
    public var from: String?
    public var to: String?
    public var cc: String?
    public var autoSubmitted: String?
    public var autoResponseSuppress: String?
    public var precedence: String?

    /// Longest value kept for one field. A 10,000-entry References is ~500 KB, so this is large;
    /// the parsers bound their own work on top of it.
    public static let maxValueBytes = 1 << 20

    public init() {}

    /// Records one header as the MTA sent it. Unknown names are ignored; a repeated field is
    /// joined to the first with ", " for the address and id lists (as RFC 5322 readers do) and
    /// ignored for the single-valued ones, so a second Message-ID cannot replace the first.
    /// Values past `maxValueBytes` are cut there (the parsers cope with a cut id).
    public mutating func record(name: String, value: String) {
        let v = value.utf8.count > Self.maxValueBytes
            ? String(decoding: value.utf8.prefix(Self.maxValueBytes), as: UTF8.self) : value
        switch name.lowercased() {
        case "message-id": if messageID == nil { messageID = v }
        case "in-reply-to": inReplyTo = Self.join(inReplyTo, v)
        case "references": references = Self.join(references, v)
        case "subject": if subject == nil { subject = v }
        case "from": from = Self.join(from, v)
        case "to": to = Self.join(to, v)
        case "cc": cc = Self.join(cc, v)
        case "auto-submitted": if autoSubmitted == nil { autoSubmitted = v }
        case "x-auto-response-suppress": if autoResponseSuppress == nil { autoResponseSuppress = v }
        case "precedence": if precedence == nil { precedence = v }
        default: break
        }
    }

    private static func join(_ old: String?, _ new: String) -> String {
        guard let old else { return new }
        if old.utf8.count >= maxValueBytes { return old }
        return old + ", " + new
    }
}

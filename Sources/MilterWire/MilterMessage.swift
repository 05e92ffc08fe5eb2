/// One message to replay through a filter: envelope, headers, body and macros per stage.
public struct MilterMessage: Sendable, Equatable {
    /// MAIL FROM address, as the MTA sends it (Postfix: `<a@b>` from SMTP).
    public var sender: String
    /// ESMTP arguments of MAIL FROM (`SIZE=1234`).
    public var senderArguments: [String]
    /// RCPT TO addresses, in order.
    public var recipients: [String]
    /// Header fields, in order.
    public var headers: [HeaderField]
    /// Body bytes (CRLF line ends, as on the wire).
    public var body: [UInt8]
    /// Macros offered at `.mail`, `.rcpt`, `.data`, `.endOfHeaders` and `.endOfMessage`.
    public var macros: [MacroStage: MacroValues]

    /// A message; everything but the envelope may be left empty.
    public init(sender: String, senderArguments: [String] = [], recipients: [String],
                headers: [HeaderField] = [], body: [UInt8] = [],
                macros: [MacroStage: MacroValues] = [:]) {
        self.sender = sender
        self.senderArguments = senderArguments
        self.recipients = recipients
        self.headers = headers
        self.body = body
        self.macros = macros
    }
}

/// One decoded frame from a filter.
public enum FilterResponse: Sendable, Equatable {
    /// Accept the message (or connection) without further filtering.
    case accept
    /// Go on to the next step.
    case `continue`
    /// Accept and drop the message.
    case discard
    /// Reject with the MTA's default 5xx text.
    case reject
    /// Temporary failure with the MTA's default 4xx text.
    case tempfail
    /// Reject or tempfail with the filter's own reply.
    case replyCode(SMTPReply)
    /// Still working: wait longer.
    case progress
    /// Stop sending body chunks.
    case skip
    /// The filter is shutting down (421).
    case shutdown
    /// The filter asks for the connection to fail.
    case connectionFailure
    /// Add a recipient.
    case addRecipient(String)
    /// Add a recipient with ESMTP arguments.
    case addRecipientWithArguments(String, arguments: String?)
    /// Delete a recipient.
    case deleteRecipient(String)
    /// Change the envelope sender, with optional ESMTP arguments.
    case changeSender(String, arguments: String?)
    /// Append a header.
    case addHeader(name: String, value: String)
    /// Insert a header at a position.
    case insertHeader(index: UInt32, name: String, value: String)
    /// Change the index-th header of that name (an empty value deletes it).
    case changeHeader(index: UInt32, name: String, value: String)
    /// One chunk of a replacement body.
    case replaceBody([UInt8])
    /// Quarantine the message.
    case quarantine(reason: String)
    /// The macros wanted at one stage.
    case setMacroList(MacroStage, [String])
    /// The answer to option negotiation.
    case negotiation(Negotiation)

    /// Decodes one frame, checking every field is present and terminated.
    public init(frame: Frame) throws(WireError) {
        guard let code = ResponseCode(rawValue: frame.code) else {
            throw .unknownResponse(code: frame.code)
        }
        var r = PayloadReader(code, frame.payload)
        switch code {
        case .accept: self = .accept
        case .continue: self = .continue
        case .discard: self = .discard
        case .reject: self = .reject
        case .tempfail: self = .tempfail
        case .progress: self = .progress
        case .skip: self = .skip
        case .shutdown: self = .shutdown
        case .connectionFailure: self = .connectionFailure
        case .replyCode:
            self = .replyCode(try SMTPReply(parsing: try r.string("reply")))
        case .addRecipient:
            self = .addRecipient(try r.string("recipient"))
        case .addRecipientWithArguments:
            self = .addRecipientWithArguments(try r.string("recipient"), arguments: try r.optionalString("arguments"))
        case .deleteRecipient:
            self = .deleteRecipient(try r.string("recipient"))
        case .changeSender:
            self = .changeSender(try r.string("sender"), arguments: try r.optionalString("arguments"))
        case .addHeader:
            self = .addHeader(name: try r.string("header name"), value: try r.string("header value"))
        case .insertHeader:
            self = .insertHeader(index: try r.uint32("header index"), name: try r.string("header name"),
                                 value: try r.string("header value"))
        case .changeHeader:
            self = .changeHeader(index: try r.uint32("header index"), name: try r.string("header name"),
                                 value: try r.string("header value"))
        case .replaceBody:
            // why: a body chunk is raw bytes; there is nothing to check and nothing left over.
            self = .replaceBody(frame.payload)
            return
        case .quarantine:
            self = .quarantine(reason: try r.string("reason"))
        case .setMacroList:
            let (stage, names) = try Negotiation.macroList(&r)
            self = .setMacroList(stage, names)
        case .optionNegotiation:
            self = .negotiation(try Negotiation(payload: frame.payload))
            return
        }
        try r.expectEnd()
    }
}

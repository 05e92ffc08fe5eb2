/// What the filter decided about a message (or a connection), as the MTA would apply it.
public enum FilterVerdict: Sendable, Equatable {
    /// Deliver (a filter's "continue" at end of message also means this).
    case accept
    /// 5xx with the MTA's default text.
    case reject
    /// 4xx with the MTA's default text.
    case tempfail
    /// Accept and drop.
    case discard
    /// 4xx/5xx with the filter's own code and text.
    case reply(SMTPReply)
    /// The filter shut down (the MTA answers 421).
    case shutdown
    /// The filter asked for the connection to fail.
    case connectionFailure

    /// The verdict a final response stands for; nil for responses that are not verdicts.
    init?(_ response: FilterResponse) {
        switch response {
        case .accept: self = .accept
        case .reject: self = .reject
        case .tempfail: self = .tempfail
        case .discard: self = .discard
        case let .replyCode(reply): self = .reply(reply)
        case .shutdown: self = .shutdown
        case .connectionFailure: self = .connectionFailure
        default: return nil
        }
    }
}

/// A step of the SMTP conversation, used to say where a verdict was reached.
public enum MessageStep: String, Sendable, Equatable {
    /// Connect or HELO (the verdict covers every message of the connection).
    case connection
    /// MAIL FROM.
    case mail
    /// RCPT TO.
    case rcpt
    /// DATA.
    case data
    /// A header.
    case header
    /// End of headers.
    case endOfHeaders
    /// A body chunk.
    case body
    /// End of message.
    case endOfMessage
}

/// What one step of a message got back from the filter.
public enum StepReply: Sendable, Equatable {
    /// Go on: the filter continued, was not asked, or does not answer this step.
    case proceed
    /// The filter wants no more body chunks.
    case skipBody
    /// This recipient was refused; the message goes on for the others.
    case recipientRejected(FilterVerdict)
    /// The message (or connection) is decided; its remaining steps are not sent.
    case decided(FilterVerdict)
}

/// A verdict in the milter's terms: the edits to ask for at end of message, in the order they
/// are made, and the reply that ends the message. The one lowering from verdict to milter: the
/// daemon applies it through libmilter and the offline replay reads it as a filter's answer, so
/// the two can never drift. Each side maps a step to one call of its own and decides nothing.
public struct MilterActions: Sendable, Equatable {
    /// How the message ends.
    public enum Reply: Sendable, Equatable {
        /// Let the message go on to delivery (with the edits).
        case `continue`
        /// Refuse for good: a 5xx reply.
        case reject(code: Int, enhancedCode: String, text: String)
        /// Refuse for now: a 4xx reply.
        case tempfail(code: Int, enhancedCode: String, text: String)
    }

    /// One change to the message.
    public enum Edit: Sendable, Equatable {
        case addRecipient(String)
        case deleteRecipient(String)
        case addHeader(HeaderField)
        /// Put the message in the MTA's hold queue, with this reason.
        case quarantine(reason: String)
    }

    /// Edits, in order; empty when the message is refused (it has nowhere to put them).
    public var edits: [Edit]
    public var reply: Reply

    public init(edits: [Edit] = [], reply: Reply = .continue) {
        self.edits = edits
        self.reply = reply
    }
}

extension Verdict {
    /// The verdict as milter actions: reject and defer as a reply code, hold as a quarantine,
    /// trim as recipient changes, headers on every message that is delivered.
    public var milterActions: MilterActions {
        var out = MilterActions()
        switch action {
        case .reject, .defer:
            let code = smtpCode ?? RuleAction.defaultCode(for: action) ?? 550
            let enhanced = enhancedCode ?? RuleAction.defaultEnhancedCode(for: action) ?? ""
            let text = text ?? "Refused by Breakwater"
            out.reply = action == .reject ? .reject(code: code, enhancedCode: enhanced, text: text)
                : .tempfail(code: code, enhancedCode: enhanced, text: text)
            return out
        case .trim:
            // why the author first: a failure half way then never leaves nobody to deliver to.
            out.edits += recipientsToAdd.map { .addRecipient($0) }
            out.edits += recipientsToRemove.map { .deleteRecipient($0) }
        case .accept, .tag, .hold:
            break
        }
        out.edits += headersToAdd.map { .addHeader($0) }
        // why last: the headers go with the message into the hold queue.
        if action == .hold { out.edits.append(.quarantine(reason: text ?? "breakwater: held")) }
        return out
    }
}

/// What is known about the message in progress.
struct MessageProgress {
    /// Whether any frame of this message reached the queue (an abort is then owed).
    var sentAny = false
    var acceptedRecipients = 0
    var rejected: [RejectedRecipient] = []
    var early: (verdict: FilterVerdict, step: MessageStep)?
}

extension MilterClient {
    /// MAIL FROM: starts a message. After a connection-level verdict nothing is sent and
    /// that verdict is returned.
    @discardableResult
    public func mail(from sender: String, arguments: [String] = [],
                     macros: MacroValues = [:]) throws(ClientError) -> StepReply {
        try require("mail", in: [.connected])
        message = MessageProgress()
        if let verdict = connectionVerdict { return decide(verdict, at: .connection) }
        state = .mail
        guard !negotiation.flags.contains(.noMail) else { return .proceed }
        enqueueMacros(.mail, macros)
        pending.mail(sender, arguments: arguments)
        return try messageStep(.mail, awaits: !negotiation.flags.contains(.noReplyMail))
    }

    /// RCPT TO. A reject or tempfail refuses this recipient only; accept or discard decide
    /// the whole message.
    @discardableResult
    public func rcpt(to recipient: String, arguments: [String] = [],
                     macros: MacroValues = [:]) throws(ClientError) -> StepReply {
        if let early = message.early, state == .decided { return .decided(early.verdict) }
        try require("rcpt", in: [.mail, .recipients])
        state = .recipients
        guard !negotiation.flags.contains(.noRcpt) else {
            message.acceptedRecipients += 1
            return .proceed
        }
        enqueueMacros(.rcpt, macros)
        pending.rcpt(recipient, arguments: arguments)
        queued()
        guard !negotiation.flags.contains(.noReplyRcpt) else {
            message.acceptedRecipients += 1
            return .proceed
        }
        let reply = try awaitReply("rcpt \(recipient)")
        switch reply {
        case .continue:
            message.acceptedRecipients += 1
            return .proceed
        case .reject, .tempfail, .replyCode:
            let verdict = FilterVerdict(reply)!
            message.rejected.append(RejectedRecipient(recipient: recipient, verdict: verdict))
            return .recipientRejected(verdict)
        default:
            guard let verdict = FilterVerdict(reply) else { throw .unexpectedResponse(reply, awaiting: "rcpt") }
            return decide(verdict, at: .rcpt)
        }
    }

    /// DATA.
    @discardableResult
    public func data(macros: MacroValues = [:]) throws(ClientError) -> StepReply {
        if let early = message.early, state == .decided { return .decided(early.verdict) }
        try require("data", in: [.recipients])
        if let refused = noRecipientLeft() { return refused }
        state = .data
        guard !negotiation.flags.contains(.noData) else { return .proceed }
        enqueueMacros(.data, macros)
        pending.data()
        return try messageStep(.data, awaits: !negotiation.flags.contains(.noReplyData))
    }

    /// One header.
    @discardableResult
    public func header(name: String, value: String) throws(ClientError) -> StepReply {
        if let early = message.early, state == .decided { return .decided(early.verdict) }
        try require("header", in: [.recipients, .data, .headers])
        if let refused = noRecipientLeft() { return refused }
        state = .headers
        guard !negotiation.flags.contains(.noHeaders) else { return .proceed }
        pending.header(name: name, value: value)
        return try messageStep(.header, awaits: !negotiation.flags.contains(.noReplyHeader))
    }

    /// End of headers.
    @discardableResult
    public func endOfHeaders(macros: MacroValues = [:]) throws(ClientError) -> StepReply {
        if let early = message.early, state == .decided { return .decided(early.verdict) }
        try require("endOfHeaders", in: [.recipients, .data, .headers])
        if let refused = noRecipientLeft() { return refused }
        state = .endOfHeaders
        guard !negotiation.flags.contains(.noEndOfHeaders) else { return .proceed }
        enqueueMacros(.endOfHeaders, macros)
        pending.endOfHeaders()
        return try messageStep(.endOfHeaders, awaits: !negotiation.flags.contains(.noReplyEndOfHeaders))
    }

    /// Body bytes, sent in chunks of at most 65535 bytes; stops early on "skip".
    @discardableResult
    public func body(_ content: some Collection<UInt8>) throws(ClientError) -> StepReply {
        if let early = message.early, state == .decided { return .decided(early.verdict) }
        try require("body", in: [.recipients, .endOfHeaders, .body, .skippingBody])
        if state == .skippingBody { return .skipBody }
        if let refused = noRecipientLeft() { return refused }
        state = .body
        guard !negotiation.flags.contains(.noBody) else { return .proceed }
        let awaits = !negotiation.flags.contains(.noReplyBody)
        var rest = content[...]
        while !rest.isEmpty {
            let chunk = rest.prefix(CommandEncoder.maxBodyChunk)
            rest = rest.dropFirst(chunk.count)
            pending.body(chunk)
            queued()
            guard awaits else {
                try flushIfLarge()
                continue
            }
            let reply = try awaitReply("body")
            switch reply {
            case .continue:
                continue
            case .skip:
                state = .skippingBody
                return .skipBody
            default:
                guard let verdict = FilterVerdict(reply) else { throw .unexpectedResponse(reply, awaiting: "body") }
                return decide(verdict, at: .body)
            }
        }
        return .proceed
    }

    /// End of message: collects the filter's modifications and its verdict ("continue"
    /// counts as accept). After an early verdict nothing is sent and that verdict is returned.
    public func endOfMessage(macros: MacroValues = [:]) throws(ClientError) -> MessageResult {
        if state != .decided {
            try require("endOfMessage", in: [.recipients, .endOfHeaders, .body, .skippingBody])
            _ = noRecipientLeft()
        }
        if let early = message.early, state == .decided {
            // why: libmilter ignores the rest of a decided message; an abort (no reply)
            // tells it plainly, as sendmail does, and rides along with the next write.
            if message.sentAny {
                pending.abort()
                statistics.framesSent += 1
            }
            return finish(MessageResult(verdict: early.verdict, decidedAt: early.step,
                                        rejectedRecipients: message.rejected))
        }
        enqueueMacros(.endOfMessage, macros)
        pending.endOfBody()
        queued()
        var result = MessageResult(verdict: .accept, decidedAt: .endOfMessage, rejectedRecipients: message.rejected)
        while true {
            let reply = try awaitReply("end of message")
            switch reply {
            case .continue, .accept:
                return finish(result)
            case .reject, .tempfail, .discard, .replyCode, .shutdown, .connectionFailure:
                result.verdict = FilterVerdict(reply)!
                return finish(result)
            case let .addHeader(name, value):
                result.modifications.append(.addHeader(HeaderField(name: name, value: value)))
            case let .insertHeader(index, name, value):
                result.modifications.append(.insertHeader(index: index, HeaderField(name: name, value: value)))
            case let .changeHeader(index, name, value):
                result.modifications.append(.changeHeader(index: index, HeaderField(name: name, value: value)))
            case let .addRecipient(recipient):
                result.modifications.append(.addRecipient(recipient, arguments: nil))
            case let .addRecipientWithArguments(recipient, arguments):
                result.modifications.append(.addRecipient(recipient, arguments: arguments))
            case let .deleteRecipient(recipient):
                result.modifications.append(.deleteRecipient(recipient))
            case let .changeSender(sender, arguments):
                result.modifications.append(.changeSender(sender, arguments: arguments))
            case let .quarantine(reason):
                result.modifications.append(.quarantine(reason: reason))
            case let .replaceBody(chunk):
                // why: a replacement body arrives in chunks; callers want the whole body.
                if case var .replaceBody(body) = result.modifications.last {
                    body.append(contentsOf: chunk)
                    result.modifications[result.modifications.count - 1] = .replaceBody(body)
                } else {
                    result.modifications.append(.replaceBody(chunk))
                }
            case .progress, .skip, .setMacroList, .negotiation:
                throw .unexpectedResponse(reply, awaiting: "end of message")
            }
        }
    }

    /// Abandons the message in progress (Postfix's RSET); the filter is told only if it saw
    /// part of the message.
    public func abort() throws(ClientError) {
        try require("abort", in: [.connected, .mail, .recipients, .data, .headers, .endOfHeaders,
                                  .body, .skippingBody, .decided])
        guard state != .connected else { return }
        if message.sentAny {
            pending.abort()
            statistics.framesSent += 1
        }
        message = MessageProgress()
        state = .connected
    }

    /// Replays a whole message: MAIL, each RCPT, DATA, headers, end of headers, body, end of
    /// message. Stops sending at an early verdict and reports it.
    public func send(_ message: MilterMessage) throws(ClientError) -> MessageResult {
        try mail(from: message.sender, arguments: message.senderArguments, macros: message.macros[.mail] ?? [:])
        let rcptMacros = message.macros[.rcpt] ?? [:]
        for recipient in message.recipients where state != .decided {
            try rcpt(to: recipient, macros: rcptMacros)
        }
        try data(macros: message.macros[.data] ?? [:])
        for field in message.headers where state != .decided {
            try header(name: field.name, value: field.value)
        }
        try endOfHeaders(macros: message.macros[.endOfHeaders] ?? [:])
        if !message.body.isEmpty { try body(message.body) }
        return try endOfMessage(macros: message.macros[.endOfMessage] ?? [:])
    }

    // MARK: helpers

    private func queued() {
        statistics.framesSent += 1
        message.sentAny = true
    }

    /// Counts the frame just queued and, if the filter answers this step, waits for it.
    private func messageStep(_ step: MessageStep, awaits: Bool) throws(ClientError) -> StepReply {
        queued()
        guard awaits else {
            try flushIfLarge()
            return .proceed
        }
        let reply = try awaitReply(step.rawValue)
        if reply == .continue { return .proceed }
        guard let verdict = FilterVerdict(reply) else { throw .unexpectedResponse(reply, awaiting: step.rawValue) }
        return decide(verdict, at: step)
    }

    private func decide(_ verdict: FilterVerdict, at step: MessageStep) -> StepReply {
        message.early = (verdict, step)
        state = .decided
        return .decided(verdict)
    }

    /// An MTA never goes to DATA when every recipient was refused: the message is decided
    /// by the last refusal.
    private func noRecipientLeft() -> StepReply? {
        guard state == .recipients, message.acceptedRecipients == 0, let last = message.rejected.last else {
            return nil
        }
        return decide(last.verdict, at: .rcpt)
    }

    private func finish(_ result: MessageResult) -> MessageResult {
        message = MessageProgress()
        state = .connected
        return result
    }
}

import Logging
import Milter
import StormCore

/// One MTA connection's filter: collects a message's facts step by step, asks the engine once
/// at end of headers, and applies the verdict at end of message. Several messages may pass on
/// one connection; each starts at MAIL FROM and ends at end of message or abort.
///
/// Nothing before end of message is answered (the steps are negotiated "no reply"), so no
/// recipient goes uncounted and the MTA never waits for Breakwater before DATA ends.
final class StormFilter: MilterHandler {
    private let service: FilterService
    private var clientAddress: String?
    private var draft: MessageDraft?
    /// This connection as a session, when the daemon records (`record_path`).
    private var recording: ConnectionRecording?

    init(service: FilterService) { self.service = service }

    func connect(hostname: String, address: String?, macros: borrowing Macros) -> Reply {
        clientAddress = address
        if service.recorder != nil { recording = ConnectionRecording(hostname: hostname, address: address) }
        return .continue
    }

    func helo(_ name: String, macros: borrowing Macros) -> Reply {
        recording?.helo(name)
        return .continue
    }

    func mailFrom(args: [String], macros: borrowing Macros) -> Reply {
        // why: the sender keeps its ESMTP parameters (the engine parses them away); a new MAIL
        // always starts a new message, whatever the last one left behind.
        draft = MessageDraft(sender: args.joined(separator: " "), saslUser: macros["auth_authen"],
                             clientAddress: clientAddress, queueID: macros["i"])
        recording?.startMessage(args: args, time: service.clock().seconds, queueID: macros["i"],
                                saslUser: macros["auth_authen"])
        return .continue
    }

    func recipient(args: [String], macros: borrowing Macros) -> Reply {
        // why: only the address, exactly as sent: a trim deletes recipients by this spelling.
        if let raw = args.first { draft?.addRecipient(raw) }
        recording?.addRecipient(args: args)
        return .continue
    }

    func header(name: String, value: String) -> Reply {
        let recorded = draft?.addHeader(name: name, value: value) ?? false
        recording?.addHeader(name: name, value: value, recorded: recorded)
        return .continue
    }

    func endOfHeaders(macros: borrowing Macros) -> Reply {
        guard draft != nil else { return .continue }
        draft?.noteQueueID(macros["i"])
        recording?.noteQueueID(macros["i"], stage: .endOfHeaders)
        decide()
        return .continue
    }

    func endOfMessage(editor: borrowing MessageEditor, macros: borrowing Macros) -> Reply {
        defer { draft = nil }
        guard draft != nil else {
            recording?.endMessage([.accept])
            flushRecording()
            return .continue
        }
        draft?.noteQueueID(macros["i"])
        recording?.noteQueueID(macros["i"], stage: .endOfMessage)
        if draft?.verdict == nil { decide() }
        guard let message = draft, let verdict = message.verdict else {
            recording?.endMessage([.accept])
            flushRecording()
            return .continue
        }
        let (reply, applied) = apply(verdict, to: message, editor: editor)
        recording?.endMessage(ConnectionRecording.expectations(reply: reply, verdict: applied, edited: applied != nil))
        flushRecording()
        return reply
    }

    /// Appends what this connection has recorded so far as a session of its own, before the
    /// verdict goes back to the MTA. why not at close: libmilter may close one connection after
    /// the client has already started the next, and sessions written in close order would
    /// replay in a different order than the daemon judged them (a storm's count depends on it).
    private func flushRecording() {
        guard let session = recording?.session, !session.messages.isEmpty else { return }
        service.recorder?.append(session)
        recording?.clearWrittenMessages()
    }

    func abort() {
        draft = nil
        recording?.abortMessage()
    }

    func close() {
        draft = nil
        // Messages aborted since the last verdict are written now; judged ones already were.
        recording?.abortMessage()
        if let session = recording?.session, !session.messages.isEmpty { service.recorder?.append(session) }
        recording = nil
    }

    private func decide() {
        guard let facts = draft?.facts else { return }
        let started = ContinuousClock.now
        draft?.verdict = service.engine.decide(facts, at: service.clock())
        service.operations.decided(ContinuousClock.now - started)
    }

    /// Carries the verdict out through the MTA and says what happened in the log. Returns the
    /// reply and the verdict as carried out (nil after a filter fault).
    private func apply(_ original: Verdict, to message: MessageDraft, editor: borrowing MessageEditor)
        -> (Reply, Verdict?) {
        var verdict = original
        if verdict.action == .trim && message.droppedRecipients {
            // why: a trim must delete every recipient; past the kept ones it cannot, and a
            // half-trimmed storm reply would still reach the rest. Refusing keeps it out.
            verdict.action = .reject
            verdict.smtpCode = 550
            verdict.enhancedCode = "5.7.1"
            verdict.text = verdict.text ?? "Reply-all to too many recipients refused. Reply to the sender only."
        }
        service.log(verdict, facts: message.facts, recipientCount: message.recipientCount)
        do throws(MilterError) {
            switch verdict.action {
            case .reject:
                return (.reject(code: verdict.smtpCode ?? 550, enhanced: verdict.enhancedCode ?? "5.7.1",
                               text: [verdict.text ?? "Reply-all refused by Breakwater"]), verdict)
            case .defer:
                return (.tempfail(code: verdict.smtpCode ?? 450, enhanced: verdict.enhancedCode ?? "4.7.1",
                                 text: [verdict.text ?? "Reply-all deferred by Breakwater"]), verdict)
            case .hold:
                try addHeaders(verdict, editor)
                try editor.quarantine(reason: verdict.text ?? "breakwater: held")
            case .trim:
                // why: the author first, so a failure half way never leaves nobody to deliver to.
                for recipient in verdict.recipientsToAdd { try editor.addRecipient(recipient) }
                for recipient in verdict.recipientsToRemove { try editor.deleteRecipient(recipient) }
                try addHeaders(verdict, editor)
            case .tag, .accept:
                try addHeaders(verdict, editor)
            }
        } catch {
            service.logger.error(Logger.Message(stringLiteral: "\(DecisionLog.queue(message.facts.queueID)): breakwater: filter fault: \(error); "
                + "fail_action=\(service.failAction.rawValue)"))
            return (service.failReply(), nil)
        }
        return (.continue, verdict)
    }

    private func addHeaders(_ verdict: Verdict, _ editor: borrowing MessageEditor) throws(MilterError) {
        for field in verdict.headersToAdd { try editor.addHeader(field.name, field.value) }
    }
}

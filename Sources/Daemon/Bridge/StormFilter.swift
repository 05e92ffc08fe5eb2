import Logging
import Milter
import StormCore

/// One MTA connection's filter: collects a message's facts step by step in a `MessageDraft`,
/// asks the engine once at end of headers, and at end of message carries the verdict out as
/// its `MilterActions` say. Several messages may pass on one connection; each starts at MAIL
/// FROM and ends at end of message or abort.
///
/// Nothing before end of message is answered (the steps are negotiated "no reply"), so no
/// recipient goes uncounted and the MTA never waits for Breakwater before DATA ends.
final class StormFilter: MilterHandler {
    private let service: FilterService
    private var clientAddress: String?
    private var draft: MessageDraft?
    private var verdict: Verdict?
    /// This connection as a session, when the daemon records (`record_path`).
    private var recording: ConnectionRecording?

    init(service: FilterService) { self.service = service }

    func connect(hostname: String, address: String?, macros: borrowing Macros) -> Reply {
        clientAddress = address
        if service.recorder != nil { recording = ConnectionRecording(hostname: hostname, address: address) }
        return .continue
    }

    func helo(_ name: String, macros: borrowing Macros) -> Reply {
        recording?.helo = name
        return .continue
    }

    func mailFrom(args: [String], macros: borrowing Macros) -> Reply {
        // why: a new MAIL always starts a new message, whatever the last one left behind.
        endUnfinishedMessage()
        draft = MessageDraft(mailArguments: args, saslUser: macros["auth_authen"], clientAddress: clientAddress,
                             queueID: macros["i"], startedAt: service.clock().seconds,
                             keepsReadFields: recording != nil)
        return .continue
    }

    func recipient(args: [String], macros: borrowing Macros) -> Reply {
        draft?.addRecipient(args)
        return .continue
    }

    func header(name: String, value: String) -> Reply {
        draft?.addHeader(name: name, value: value)
        return .continue
    }

    func endOfHeaders(macros: borrowing Macros) -> Reply {
        guard draft != nil else { return .continue }
        draft?.noteQueueID(macros["i"], at: .endOfHeaders)
        decide()
        return .continue
    }

    func endOfMessage(editor: borrowing MessageEditor, macros: borrowing Macros) -> Reply {
        defer { draft = nil; verdict = nil }
        guard draft != nil else { return .continue }
        draft?.noteQueueID(macros["i"], at: .endOfMessage)
        if verdict == nil { decide() }
        guard let message = draft, let verdict else { return .continue }
        service.log(verdict, facts: message.facts, recipientCount: message.recipientCount)
        let actions = apply(verdict.milterActions, to: message, editor: editor)
        recording?.record(message, ending: .endOfMessage(actions))
        flushRecording()
        return Self.reply(actions.reply)
    }

    func abort() {
        endUnfinishedMessage()
    }

    func close() {
        endUnfinishedMessage()
        flushRecording()
        recording = nil
    }

    /// A message given up before its end (abort, a new MAIL, the connection closing) is
    /// recorded as aborted and forgotten.
    private func endUnfinishedMessage() {
        if let message = draft { recording?.record(message, ending: .abort) }
        draft = nil
        verdict = nil
    }

    /// Appends what this connection has recorded so far as a session of its own, before the
    /// verdict goes back to the MTA. why not at close: libmilter may close one connection after
    /// the client has already started the next, and sessions written in close order would
    /// replay in a different order than the daemon judged them (a storm's count depends on it).
    private func flushRecording() {
        guard let session = recording?.takeSession() else { return }
        service.recorder?.append(session)
    }

    private func decide() {
        guard let facts = draft?.facts else { return }
        let started = ContinuousClock.now
        verdict = service.engine.decide(facts, at: service.clock())
        service.operations.decided(ContinuousClock.now - started)
    }

    /// Makes the verdict's edits through the MTA. Returns the actions as carried out: after a
    /// filter fault, only the configured fail reply.
    private func apply(_ actions: MilterActions, to message: MessageDraft, editor: borrowing MessageEditor)
        -> MilterActions {
        do throws(MilterError) {
            for edit in actions.edits {
                switch edit {
                case .addRecipient(let r): try editor.addRecipient(r)
                case .deleteRecipient(let r): try editor.deleteRecipient(r)
                case .addHeader(let h): try editor.addHeader(h.name, h.value)
                case .quarantine(let reason): try editor.quarantine(reason: reason)
                }
            }
            return actions
        } catch {
            service.logger.error(Logger.Message(stringLiteral: "\(DecisionLog.queue(message.facts.queueID)): breakwater: filter fault: \(error); "
                + "fail_action=\(service.failAction.rawValue)"))
            return service.failActions
        }
    }

    /// libmilter's reply for the way the message ends.
    static func reply(_ r: MilterActions.Reply) -> Reply {
        switch r {
        case .continue: .continue
        case let .reject(code, enhanced, text): .reject(code: code, enhanced: enhanced, text: [text])
        case let .tempfail(code, enhanced, text): .tempfail(code: code, enhanced: enhanced, text: [text])
        }
    }
}

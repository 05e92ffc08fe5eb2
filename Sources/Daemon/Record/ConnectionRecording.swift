import MilterWire
import Replay
import StormCore

/// What one connection looked like to the filter, kept as a session for the recorder: the
/// connect information, HELO, and per message what its `MessageDraft` heard (the envelope, the
/// macros the filter read, the header fields Breakwater reads and no other content) with the
/// way it ended as `expect` lines. Built from the finished draft, so it records exactly what
/// the engine judged.
struct ConnectionRecording {
    /// How a recorded message ended.
    enum Ending {
        /// At end of message, with the actions carried out.
        case endOfMessage(MilterActions)
        /// Aborted (or left open by a new MAIL or the connection's close).
        case abort
    }

    private var session = Session()

    init(hostname: String, address: String?) {
        // why: libmilter gives the filter the address as text without the port; the family
        // follows from its spelling.
        let connect: ConnectAddress = switch address {
        case nil: .unknown
        case let a? where a.contains(":"): .inet6(address: a, port: 0)
        case let a?: .inet(address: a, port: 0)
        }
        session.connect = ConnectInfo(hostname: hostname, address: connect)
    }

    /// The name the client gave at HELO.
    var helo: String? {
        get { session.helo }
        set { session.helo = newValue }
    }

    /// Adds one message as the draft heard it.
    mutating func record(_ draft: MessageDraft, ending: Ending) {
        var m = ScriptedMessage(at: draft.startedAt, sender: Self.envelope(draft.mailArguments))
        m.recipients = draft.facts.recipients.enumerated().map { i, raw in
            EnvelopeAddress(raw, arguments: draft.recipientParameters[i] ?? [])
        }
        m.headers = draft.readFields.map { MilterWire.HeaderField(name: $0.name, value: $0.value) }
        for (stage, id) in draft.queueIDs {
            m.macros[Self.macroStage(stage), default: MacroValues()].pairs.append(("i", id))
        }
        if let user = draft.facts.saslUser {
            m.macros[.mail, default: MacroValues()].pairs.append(("{auth_authen}", user))
        }
        switch ending {
        case .endOfMessage(let actions):
            m.ending = .endOfMessage
            m.expectations = Self.expectations(actions).map { Expectation($0) }
        case .abort:
            m.ending = .abort
            m.expectations = [Expectation(.continue)]
        }
        session.messages.append(m)
    }

    /// The messages recorded since the last call, as a session with this connection's details;
    /// nil when there are none.
    mutating func takeSession() -> Session? {
        guard !session.messages.isEmpty else { return nil }
        defer { session.messages.removeAll() }
        return session
    }

    private static func envelope(_ args: [String]) -> Replay.EnvelopeAddress {
        EnvelopeAddress(args.first ?? "<>", arguments: Array(args.dropFirst()))
    }

    private static func macroStage(_ stage: MessageDraft.Stage) -> MilterWire.MacroStage {
        switch stage {
        case .mailFrom: .mail
        case .endOfHeaders: .endOfHeaders
        case .endOfMessage: .endOfMessage
        }
    }

    /// The `expect` lines that say what the daemon did: the reply it gave and, when it let the
    /// message through, the edits it made (quarantine, recipients added and deleted, headers).
    static func expectations(_ actions: MilterActions) -> [Expectation.Kind] {
        switch actions.reply {
        case let .reject(code, enhanced, _):
            return [.reject(code: code, enhancedCode: enhanced.isEmpty ? nil : enhanced, text: nil)]
        case let .tempfail(code, enhanced, _):
            return [.tempfail(code: code, enhancedCode: enhanced.isEmpty ? nil : enhanced, text: nil)]
        case .continue:
            var quarantine: [Expectation.Kind] = [], added: [Expectation.Kind] = []
            var deleted: [Expectation.Kind] = [], headers: [Expectation.Kind] = []
            for edit in actions.edits {
                switch edit {
                case .quarantine: quarantine.append(.quarantine(reason: nil))
                case .addRecipient(let r): added.append(.recipientAdded(r))
                case .deleteRecipient(let r): deleted.append(.recipientDeleted(r))
                case .addHeader(let h): headers.append(.headerAdded(name: h.name, value: nil))
                }
            }
            return [.accept] + quarantine + added + deleted + headers
        }
    }
}

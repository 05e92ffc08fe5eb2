import Milter
import MilterWire
import Replay
import StormCore

/// What one connection looked like to the filter, kept as a session for the recorder: the
/// connect information, HELO, the macros the filter read, and per message the envelope, the
/// header fields Breakwater reads (no other content) and the verdict as `expect` lines.
///
/// Bounded like `MessageDraft`: past its limits recipients and headers are not kept.
struct ConnectionRecording {
    private(set) var session = Session()
    private var current: ScriptedMessage?

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

    mutating func helo(_ name: String) { session.helo = name }

    /// MAIL FROM starts a message at `time` (seconds since 1970); a message left open is aborted.
    mutating func startMessage(args: [String], time: Int64, queueID: String?, saslUser: String?) {
        if current != nil { abortMessage() }
        var macros = MacroValues()
        if let queueID { macros.pairs.append(("i", queueID)) }
        if let saslUser { macros.pairs.append(("{auth_authen}", saslUser)) }
        current = ScriptedMessage(at: time, sender: Self.envelope(args), macros: macros.isEmpty ? [:] : [.mail: macros])
    }

    mutating func addRecipient(args: [String]) {
        guard current != nil, current!.recipients.count < MessageDraft.maxRecipients else { return }
        current!.recipients.append(Self.envelope(args))
    }

    /// Only the fields the engine reads, and no more bytes of them than the draft keeps.
    mutating func addHeader(name: String, value: String, recorded: Bool) {
        guard recorded, current != nil else { return }
        current!.headers.append(MilterWire.HeaderField(name: name, value: value))
    }

    /// A queue id the filter read at a later stage (Postfix sends `i` from DATA on).
    mutating func noteQueueID(_ id: String?, stage: MilterWire.MacroStage) {
        guard let id, !id.isEmpty, current != nil, current!.macro("i") != id else { return }
        current!.macros[stage, default: MacroValues()].pairs.append(("i", id))
    }

    mutating func endMessage(_ expectations: [Expectation.Kind]) {
        guard var m = current else { return }
        m.ending = .endOfMessage
        m.expectations = expectations.map { Expectation($0) }
        session.messages.append(m)
        current = nil
    }

    /// Forgets the messages already written, keeping the connection's details for the next.
    mutating func clearWrittenMessages() { session.messages.removeAll() }

    mutating func abortMessage() {
        guard var m = current else { return }
        m.ending = .abort
        m.expectations = [Expectation(.continue)]
        session.messages.append(m)
        current = nil
    }

    private static func envelope(_ args: [String]) -> Replay.EnvelopeAddress {
        EnvelopeAddress(args.first ?? "<>", arguments: Array(args.dropFirst()))
    }

    /// The `expect` lines that say what the daemon did: the reply it gave and, when it let the
    /// message through, the edits it made. After a filter fault only the reply is known.
    static func expectations(reply: Reply, verdict: Verdict?, edited: Bool) -> [Expectation.Kind] {
        switch reply {
        case let .reject(code, enhanced, _): return [.reject(code: code, enhancedCode: enhanced, text: nil)]
        case let .tempfail(code, enhanced, _): return [.tempfail(code: code, enhancedCode: enhanced, text: nil)]
        case .discard: return [.discard]
        case .accept, .continue:
            var out: [Expectation.Kind] = [.accept]
            guard edited, let verdict else { return out }
            if verdict.action == .hold { out.append(.quarantine(reason: nil)) }
            if verdict.action == .trim {
                out += verdict.recipientsToAdd.map { .recipientAdded($0) }
                out += verdict.recipientsToRemove.map { .recipientDeleted($0) }
            }
            out += verdict.headersToAdd.map { .headerAdded(name: $0.name, value: nil) }
            return out
        }
    }
}

public import StormCore
import MilterWire

/// The offline replay's side of the engine: feeds a scripted message to a `MessageDraft` step
/// by step, as the daemon feeds it from libmilter's callbacks, and reads the verdict's
/// `MilterActions` as a filter's answer. Both halves are the daemon's own code paths.
public enum EngineBridge {
    /// The draft of a scripted message: MAIL and RCPT arguments as libmilter's argv, headers in
    /// order, the client address from connect, `{auth_authen}` and `i` from the macros.
    private static func draft(for message: ScriptedMessage, in session: Session) -> MessageDraft {
        var draft = MessageDraft(mailArguments: [message.sender.address] + message.sender.arguments,
                                 saslUser: message.macro("{auth_authen}") ?? message.macro("auth_authen"),
                                 clientAddress: session.connect.clientAddress, queueID: message.macro("i"),
                                 startedAt: message.at ?? 0)
        for r in message.recipients { draft.addRecipient([r.address] + r.arguments) }
        for h in message.headers { draft.addHeader(name: h.name, value: h.value) }
        return draft
    }

    /// The facts the engine judges for a scripted message.
    public static func facts(for message: ScriptedMessage, in session: Session) -> MessageFacts {
        draft(for: message, in: session).facts
    }

    /// The verdict as a filter's answer at end of message.
    public static func outcome(of verdict: Verdict) -> FilterOutcome {
        let actions = verdict.milterActions
        let mods: [Modification] = actions.edits.map { edit in
            switch edit {
            case .addRecipient(let r): .addRecipient(r, arguments: nil)
            case .deleteRecipient(let r): .deleteRecipient(r)
            case .addHeader(let h): .addHeader(MilterWire.HeaderField(name: h.name, value: h.value))
            case .quarantine(let reason): .quarantine(reason: reason)
            }
        }
        switch actions.reply {
        case .continue:
            return FilterOutcome(verdict: .accept, modifications: mods)
        case let .reject(code, enhanced, text):
            return FilterOutcome(verdict: reply(code, enhanced, text, else: .reject))
        case let .tempfail(code, enhanced, text):
            return FilterOutcome(verdict: reply(code, enhanced, text, else: .tempfail))
        }
    }

    private static func reply(_ code: Int, _ enhanced: String, _ text: String, else fallback: FilterVerdict) -> FilterVerdict {
        let raw = "\(code)" + (enhanced.isEmpty ? "" : " \(enhanced)") + (text.isEmpty ? "" : " \(text)")
        return (try? SMTPReply(parsing: raw)).map(FilterVerdict.reply) ?? fallback
    }
}

public import StormCore
import MilterWire

/// The offline replay's stand-in for the daemon's milter bridge: builds the engine's facts from
/// a scripted message exactly as the daemon builds them from libmilter's callbacks, and turns
/// the engine's verdict into what the filter would have told the MTA.
public enum EngineBridge {
    /// Facts as the daemon collects them: MAIL and RCPT arguments joined by one space (libmilter's
    /// argv), headers recorded in order, client address from connect, `{auth_authen}` and `i`.
    public static func facts(for message: ScriptedMessage, in session: Session) -> MessageFacts {
        var headers = MessageHeaders()
        for h in message.headers { headers.record(name: h.name, value: h.value) }
        return MessageFacts(
            sender: message.sender.joined,
            recipients: message.recipients.map(\.joined),
            saslUser: message.macro("{auth_authen}") ?? message.macro("auth_authen"),
            clientAddress: session.connect.clientAddress,
            queueID: message.macro("i"),
            headers: headers)
    }

    /// The verdict in milter terms: reject/defer as a reply code, hold as a quarantine, tag and
    /// trim as header and recipient changes, all at end of message.
    public static func outcome(of verdict: Verdict) -> FilterOutcome {
        var mods: [Modification] = []
        var result = FilterVerdict.accept
        switch verdict.action {
        case .accept, .tag:
            break
        case .reject, .defer:
            let fallback: FilterVerdict = verdict.action == .reject ? .reject : .tempfail
            let code = verdict.smtpCode ?? (verdict.action == .reject ? 550 : 450)
            let raw = "\(code)" + (verdict.enhancedCode.map { " \($0)" } ?? "") + (verdict.text.map { " \($0)" } ?? "")
            result = (try? SMTPReply(parsing: raw)).map(FilterVerdict.reply) ?? fallback
        case .hold:
            mods.append(.quarantine(reason: verdict.text ?? ""))
        case .trim:
            mods += verdict.recipientsToRemove.map { Modification.deleteRecipient($0) }
            mods += verdict.recipientsToAdd.map { Modification.addRecipient($0, arguments: nil) }
        }
        // why: only delivered messages carry headers; a refused one has nowhere to put them.
        if result == .accept {
            mods += verdict.headersToAdd.map { Modification.addHeader(MilterWire.HeaderField(name: $0.name, value: $0.value)) }
        }
        return FilterOutcome(verdict: result, modifications: mods)
    }
}

import MilterWire

/// What happened to one message, in milter terms, whether a live filter said it or the engine
/// decided it offline: the common ground on which expectations are checked.
public enum Observation: Sendable, Equatable {
    /// The filter gave a final verdict (at end of message, or earlier).
    case decided(FilterOutcome)
    /// The message was aborted before the filter reached a verdict.
    case abortedUndecided
    /// The conversation failed before the message was decided.
    case failed(String)

    /// Checks one expectation; nil when it holds, else what was seen instead.
    public func check(_ kind: Expectation.Kind) -> String? {
        // why: one message alone holds an any-order expectation when it got the outcome; the
        // pool's count is judged by ExpectationTally.settle().
        if case let .anyOrder(_, inner) = kind { return check(inner) }
        let result: FilterOutcome
        switch self {
        case let .failed(error):
            return error
        case .abortedUndecided:
            return kind == .continue ? nil : "message aborted undecided"
        case let .decided(r):
            result = r
        }
        let held: Bool
        switch kind {
        case .accept:
            held = result.verdict == .accept
        case .continue:
            held = result.verdict == .accept && result.decidedAt == .endOfMessage
        case .discard:
            held = result.verdict == .discard
        case let .reject(code, enhanced, text):
            held = Self.refusal(result.verdict, classDigit: 5, code, enhanced, text)
        case let .tempfail(code, enhanced, text):
            held = Self.refusal(result.verdict, classDigit: 4, code, enhanced, text)
        case let .quarantine(reason):
            held = result.quarantineReason.map { r in reason.map { r.contains($0) } ?? true } ?? false
        case let .headerAdded(name, value):
            held = result.addedHeaders.contains { h in
                h.name.lowercased() == name.lowercased() && (value.map { h.value.contains($0) } ?? true)
            }
        case let .noHeaderAdded(name):
            held = !result.addedHeaders.contains { $0.name.lowercased() == name.lowercased() }
        case let .recipientAdded(r):
            held = result.addedRecipients.contains { Self.sameAddress($0, r) }
        case let .recipientDeleted(r):
            held = result.deletedRecipients.contains { Self.sameAddress($0, r) }
        case .anyOrder:
            held = false  // answered above
        }
        return held ? nil : Self.describe(result, for: kind)
    }

    /// A 4xx/5xx verdict matching every part the file named. A bare reject/tempfail carries no
    /// code of its own, so it matches only when the file named none.
    private static func refusal(_ verdict: FilterVerdict, classDigit: Int, _ code: Int?, _ enhanced: String?,
                                _ text: String?) -> Bool {
        switch verdict {
        case .reject where classDigit == 5, .tempfail where classDigit == 4:
            return code == nil && enhanced == nil && text == nil
        case let .reply(reply):
            return reply.code / 100 == classDigit
                && (code.map { $0 == reply.code } ?? true)
                && (enhanced.map { $0 == reply.enhancedCode } ?? true)
                && (text.map { reply.text.contains($0) } ?? true)
        default:
            return false
        }
    }

    /// why: filters add and delete recipients with or without angle brackets; both mean one address.
    private static func sameAddress(_ a: String, _ b: String) -> Bool {
        func bare(_ s: String) -> String {
            var t = Substring(s)
            if t.hasPrefix("<") && t.hasSuffix(">") && t.count >= 2 { t = t.dropFirst().dropLast() }
            return t.lowercased()
        }
        return bare(a) == bare(b)
    }

    /// What was seen, in the words of the expectation that failed.
    private static func describe(_ result: FilterOutcome, for kind: Expectation.Kind) -> String {
        switch kind {
        case .headerAdded, .noHeaderAdded:
            let names = result.addedHeaders.map { "\($0.name): \($0.value)" }
            return names.isEmpty ? "no header added" : "headers added " + names.joined(separator: ", ")
        case .recipientAdded:
            let added = result.addedRecipients
            return added.isEmpty ? "no recipient added" : "recipients added " + added.joined(separator: ", ")
        case .recipientDeleted:
            let deleted = result.deletedRecipients
            return deleted.isEmpty ? "no recipient deleted" : "recipients deleted " + deleted.joined(separator: ", ")
        case .quarantine:
            return result.quarantineReason.map { "quarantine \"\($0)\"" } ?? "no quarantine (\(verdictText(result)))"
        default:
            return verdictText(result)
        }
    }

    /// The whole outcome in one line, for comparing two runs message by message: the verdict
    /// in file words, then each modification (`+header X-Breakwater`, `-rcpt <a@b>`).
    public var summary: String {
        switch self {
        case .abortedUndecided: return "aborted"
        case let .failed(error): return "failed: \(error)"
        case let .decided(result):
            var parts = [Self.verdictText(result)]
            parts += result.addedHeaders.map { "+header \($0.name)" }
            parts += result.addedRecipients.map { "+rcpt \($0)" }
            parts += result.deletedRecipients.map { "-rcpt \($0)" }
            return parts.joined(separator: " ")
        }
    }

    /// `accept`, `reject 550 5.7.1 "text"`, `tempfail (at rcpt)`: the verdict in file words.
    public static func verdictText(_ result: FilterOutcome) -> String {
        var s: String
        switch result.verdict {
        case .accept: s = "accept"
        case .reject: s = "reject"
        case .tempfail: s = "tempfail"
        case .discard: s = "discard"
        case .shutdown: s = "shutdown"
        case .connectionFailure: s = "connection failure"
        case let .reply(reply):
            s = (reply.code >= 500 ? "reject " : "tempfail ") + "\(reply.code)"
            if let e = reply.enhancedCode { s += " \(e)" }
            s += " \"\(reply.text)\""
        }
        if result.decidedAt != .endOfMessage { s += " (at \(result.decidedAt.rawValue))" }
        if let reason = result.quarantineReason { s += ", quarantined \"\(reason)\"" }
        return s
    }
}

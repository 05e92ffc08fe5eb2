/// What a session file says the filter should do with one message. Each is counted once in
/// the `N passed, N failed` line.
public struct Expectation: Sendable, Equatable {
    /// The outcomes a file can ask for.
    public enum Kind: Sendable, Equatable {
        /// The message is accepted (at end of message or earlier; a quarantine still accepts).
        case accept
        /// The filter reached no final verdict before end of message (or before an abort).
        case `continue`
        /// Refused for good (5xx), optionally with this code, enhanced code and text substring.
        case reject(code: Int?, enhancedCode: String?, text: String?)
        /// Refused for now (4xx), same optional parts.
        case tempfail(code: Int?, enhancedCode: String?, text: String?)
        /// Accepted and dropped.
        case discard
        /// Sent to the hold queue, optionally with a reason containing this text.
        case quarantine(reason: String?)
        /// A header with this name (case-insensitive) was added, its value containing `value`.
        case headerAdded(name: String, value: String?)
        /// No header of this name was added.
        case noHeaderAdded(name: String)
        /// This recipient was added.
        case recipientAdded(String)
        /// This recipient was deleted.
        case recipientDeleted(String)
        /// One of the `POOL` messages gets this outcome, whichever: over the run, as many of the
        /// pool's messages must get it as carry this expectation, in any order of arrival (see
        /// `ExpectationTally.settle()`). For files played over several connections, where which
        /// reply-all arrives tenth is up to the scheduler but how many pass is not.
        indirect case anyOrder(pool: String, Kind)
    }

    /// What is expected.
    public var kind: Kind
    /// Where the file says so.
    public var source: SourceLine

    /// An expectation.
    public init(_ kind: Kind, source: SourceLine = .none) {
        self.kind = kind
        self.source = source
    }
}

extension Expectation.Kind: CustomStringConvertible {
    /// `reject 550 5.7.1 ~ text`, the way the file spells it (after `expect`).
    public var description: String {
        func refusal(_ word: String, _ code: Int?, _ enhanced: String?, _ text: String?) -> String {
            var s = word
            if let code { s += " \(code)" }
            if let enhanced { s += " \(enhanced)" }
            if let text { s += " ~ \(text)" }
            return s
        }
        switch self {
        case .accept: return "accept"
        case .continue: return "continue"
        case .discard: return "discard"
        case let .reject(code, enhanced, text): return refusal("reject", code, enhanced, text)
        case let .tempfail(code, enhanced, text): return refusal("tempfail", code, enhanced, text)
        case let .quarantine(reason): return reason.map { "quarantine ~ \($0)" } ?? "quarantine"
        case let .headerAdded(name, value): return value.map { "header \(name) ~ \($0)" } ?? "header \(name)"
        case let .noHeaderAdded(name): return "no-header \(name)"
        case let .recipientAdded(r): return "rcpt-added \(r)"
        case let .recipientDeleted(r): return "rcpt-deleted \(r)"
        case let .anyOrder(pool, kind): return "any-order \(pool) \(kind)"
        }
    }
}

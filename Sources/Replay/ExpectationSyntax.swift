/// How `expect` lines spell an expectation: the words after `expect`, and a `~ text` tail.
enum ExpectationSyntax {
    /// The expectation, or nil when the words do not make one.
    static func kind(_ words: [String], tail: String?) -> Expectation.Kind? {
        guard let first = words.first else { return nil }
        let args = Array(words.dropFirst())
        switch first {
        case "accept" where args.isEmpty && tail == nil: return .accept
        case "continue" where args.isEmpty && tail == nil: return .continue
        case "discard" where args.isEmpty && tail == nil: return .discard
        case "reject", "tempfail":
            let classDigit = first == "reject" ? 5 : 4
            var rest = args[...]
            var code: Int?
            var enhanced: String?
            if let c = rest.first, c.utf8.count == 3, let n = Int(c), n / 100 == classDigit {
                code = n
                rest = rest.dropFirst()
            }
            if let e = rest.first, isEnhancedCode(e, classDigit: classDigit) {
                enhanced = e
                rest = rest.dropFirst()
            }
            guard rest.isEmpty else { return nil }
            return first == "reject" ? .reject(code: code, enhancedCode: enhanced, text: tail)
                : .tempfail(code: code, enhancedCode: enhanced, text: tail)
        case "quarantine" where args.isEmpty: return .quarantine(reason: tail)
        case "header" where args.count == 1: return .headerAdded(name: args[0], value: tail)
        case "no-header" where args.count == 1 && tail == nil: return .noHeaderAdded(name: args[0])
        case "rcpt-added" where args.count == 1 && tail == nil: return .recipientAdded(args[0])
        case "rcpt-deleted" where args.count == 1 && tail == nil: return .recipientDeleted(args[0])
        case "any-order" where args.count >= 2 && args[1] != "any-order":
            return kind(Array(args.dropFirst()), tail: tail).map { .anyOrder(pool: args[0], $0) }
        default: return nil
        }
    }

    /// What to write instead, for the word the line started with.
    static func usage(_ first: String?) -> String {
        switch first {
        case "reject": "expect reject [5xx [5.x.y]] [~ TEXT]"
        case "tempfail": "expect tempfail [4xx [4.x.y]] [~ TEXT]"
        case "header": "expect header NAME [~ VALUE]"
        case "no-header", "rcpt-added", "rcpt-deleted": "expect \(first!) takes one argument"
        case "any-order": "expect any-order POOL followed by an expectation (accept, reject 550 ..., not any-order)"
        case "accept", "continue", "discard", "quarantine": "expect \(first!) takes no arguments"
                + (first == "quarantine" ? " but an optional ~ REASON" : "")
        default: "expect needs accept, continue, reject, tempfail, discard, quarantine, header, no-header, "
                + "rcpt-added or rcpt-deleted"
        }
    }

    /// `5.7.1`: the class digit, then two numbers of up to three digits (RFC 3463).
    static func isEnhancedCode(_ s: String, classDigit: Int) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 3 && parts[0] == "\(classDigit)"
            && parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }

    /// The words of an expectation as the writer puts them after `expect`.
    static func text(_ kind: Expectation.Kind) -> String {
        func tail(_ t: String?) -> String { t.map { " ~ " + SessionText.restOfLine($0) } ?? "" }
        func refusal(_ word: String, _ code: Int?, _ e: String?, _ t: String?) -> String {
            word + (code.map { " \($0)" } ?? "") + (e.map { " \($0)" } ?? "") + tail(t)
        }
        switch kind {
        case .accept: return "accept"
        case .continue: return "continue"
        case .discard: return "discard"
        case let .reject(c, e, t): return refusal("reject", c, e, t)
        case let .tempfail(c, e, t): return refusal("tempfail", c, e, t)
        case let .quarantine(r): return "quarantine" + tail(r)
        case let .headerAdded(n, v): return "header " + SessionText.token(n) + tail(v)
        case let .noHeaderAdded(n): return "no-header " + SessionText.token(n)
        case let .recipientAdded(r): return "rcpt-added " + SessionText.token(r)
        case let .recipientDeleted(r): return "rcpt-deleted " + SessionText.token(r)
        case let .anyOrder(pool, k): return "any-order " + SessionText.token(pool) + " " + text(k)
        }
    }
}

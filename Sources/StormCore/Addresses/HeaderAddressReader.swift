/// Reads the address list of a From/To/Cc value in one pass: a tokenizer (comments and folding
/// dropped, quoted strings kept whole) feeding a per-address unit that is judged at each `,`/`;`.
///
/// Like the Message-ID scanner, an unterminated comment or quote is retried once as plain
/// punctuation from just after its opening character, so the pass stays linear.
struct HeaderAddressReader {
    private enum Kind: Equatable { case word, quoted, literal, special(UInt8) }
    private struct Token {
        var kind: Kind
        var start: Int, end: Int // for `.quoted`, the content between the quotes
        var gapBefore: Bool      // blank or comment before it: a word boundary
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private let limit: Int
    private var index = 0
    private var commentsOn = true, quotesOn = true
    private var unit: [Token] = []
    private var found: [EmailAddress] = []

    init(bytes: UnsafeBufferPointer<UInt8>, limit: Int) {
        self.bytes = bytes
        self.limit = limit
    }

    consuming func read() -> [EmailAddress] {
        var inAngle = false, routeInAngle = false
        while found.count < limit, let token = nextToken() {
            switch token.kind {
            case .special(MailByte.comma) where inAngle && routeInAngle:
                unit.append(token) // `<@a,@b:c@d>`: the comma belongs to the route
            case .special(MailByte.comma), .special(MailByte.semicolon):
                finishUnit()
                inAngle = false
            case .special(MailByte.colon) where !inAngle:
                unit.removeAll(keepingCapacity: true) // a group's display name
            case .special(MailByte.lt):
                inAngle = true
                routeInAngle = false
                unit.append(token)
            case .special(MailByte.gt):
                inAngle = false
                unit.append(token)
            default:
                if inAngle, unit.last?.kind == .special(MailByte.lt), token.kind == .special(MailByte.at) {
                    routeInAngle = true
                }
                unit.append(token)
            }
        }
        if found.count < limit { finishUnit() }
        return found
    }

    private mutating func finishUnit() {
        defer { unit.removeAll(keepingCapacity: true) }
        guard !unit.isEmpty else { return }
        var spec = unit[...]
        var requireAt = true
        if let open = unit.lastIndex(where: { $0.kind == .special(MailByte.lt) }) {
            guard let close = unit[open...].firstIndex(where: { $0.kind == .special(MailByte.gt) }) else {
                return // a cut `<`: whatever follows is not a whole address
            }
            spec = unit[(open + 1)..<close]
            if spec.first?.kind == .special(MailByte.at) {
                guard let colon = spec.lastIndex(where: { $0.kind == .special(MailByte.colon) }) else { return }
                spec = spec[(colon + 1)...]
            }
            requireAt = false
        }
        if let address = address(in: spec, requireAt: requireAt) { found.append(address) }
    }

    /// The addr-spec in `spec`: the words touching the last `@` on either side. A blank between
    /// two words ends the address (`John john@x` is `john@x`) unless a dot joins them
    /// (obsolete `john . doe@x`); a special stuck to the address makes it junk.
    private func address(in spec: ArraySlice<Token>, requireAt: Bool) -> EmailAddress? {
        guard !spec.isEmpty else { return nil }
        let at = spec.lastIndex(where: { $0.kind == .special(MailByte.at) })
        if at == nil && requireAt { return nil }
        let localEnd = at ?? spec.endIndex
        var localStart = localEnd
        while localStart > spec.startIndex {
            let candidate = spec[localStart - 1]
            guard candidate.kind == .word || candidate.kind == .quoted else {
                if localStart < localEnd, !spec[localStart].gapBefore { return nil }
                break
            }
            if localStart < localEnd, !joined(candidate, spec[localStart]) { break }
            localStart -= 1
        }
        guard localStart < localEnd else { return nil }
        if at == nil, localStart != spec.startIndex { return nil } // `<John Doe>` is no address
        var local: [UInt8] = []
        for token in spec[localStart..<localEnd] { append(token, to: &local) }

        var domain: [UInt8] = []
        if let at {
            var i = at + 1
            while i < spec.endIndex {
                let token = spec[i]
                guard token.kind == .word || token.kind == .literal else {
                    if !token.gapBefore { return nil }
                    break
                }
                if i > at + 1, !joined(spec[i - 1], token) { break }
                append(token, to: &domain)
                i += 1
            }
            guard !domain.isEmpty, AddressParser.invalidDomainByte(domain) == nil else { return nil }
        }
        guard !local.isEmpty, local.count + domain.count < AddressParser.maxAddressBytes,
              !local.contains(where: AddressParser.isControl), // only a quoted part can hold one
              !domain.allSatisfy({ $0 == MailByte.dot }) || at == nil
        else { return nil }
        return EmailAddress(local: String(decoding: local, as: UTF8.self),
                            domain: String(decoding: domain, as: UTF8.self))
    }

    private func joined(_ left: Token, _ right: Token) -> Bool {
        !right.gapBefore || bytes[left.end - 1] == MailByte.dot || bytes[right.start] == MailByte.dot
    }

    private func append(_ token: Token, to out: inout [UInt8]) {
        guard token.kind == .quoted else {
            out.append(contentsOf: bytes[token.start..<token.end])
            return
        }
        var i = token.start
        while i < token.end {
            if bytes[i] == MailByte.backslash, i + 1 < token.end { i += 1 }
            out.append(bytes[i])
            i += 1
        }
    }

    private mutating func nextToken() -> Token? {
        var gap = false
        while index < bytes.count {
            let start = index
            let b = bytes[index]
            switch b {
            case MailByte.space, MailByte.tab, MailByte.cr, MailByte.lf:
                gap = true
                index += 1
            case MailByte.openParen where commentsOn:
                if let end = closing(from: index, nests: true) {
                    index = end
                    gap = true
                } else {
                    commentsOn = false
                }
            case MailByte.quote where quotesOn:
                if let end = closing(from: index, nests: false) {
                    index = end
                    return Token(kind: .quoted, start: start + 1, end: end - 1, gapBefore: gap)
                }
                quotesOn = false
            case MailByte.openBracket:
                // A domain literal; a `[` that never closes is junk like any stray special.
                var j = index + 1
                while j < bytes.count, bytes[j] != MailByte.closeBracket, bytes[j] != MailByte.openBracket { j += 1 }
                if j < bytes.count, bytes[j] == MailByte.closeBracket {
                    index = j + 1
                    return Token(kind: .literal, start: start, end: index, gapBefore: gap)
                }
                index += 1
                return Token(kind: .special(b), start: start, end: index, gapBefore: gap)
            case _ where AddressParser.isSpecial(b):
                index += 1
                return Token(kind: .special(b), start: start, end: index, gapBefore: gap)
            default:
                while index < bytes.count, !AddressParser.isSpecial(bytes[index]) { index += 1 }
                return Token(kind: .word, start: start, end: index, gapBefore: gap)
            }
        }
        return nil
    }

    /// Index just past the `)` or `"` that closes the construct opening at `start`, honouring
    /// backslash escapes and (for comments) nesting; nil when the value ends first.
    private func closing(from start: Int, nests: Bool) -> Int? {
        let open = bytes[start]
        let close = nests ? MailByte.closeParen : MailByte.quote
        var depth = 0
        var i = start
        if !nests { i += 1; depth = 1 }
        while i < bytes.count {
            let c = bytes[i]
            if c == MailByte.backslash {
                i += 2
                continue
            }
            if nests && c == open {
                depth += 1
            } else if c == close {
                depth -= 1
                if depth == 0 { return i + 1 }
            }
            i += 1
        }
        return nil
    }
}

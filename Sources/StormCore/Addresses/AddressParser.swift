/// An envelope address as the MTA gave it at MAIL FROM / RCPT TO.
package struct EnvelopeAddress: Sendable, Equatable {
    /// nil for the null sender `<>`.
    package var address: EmailAddress?
    /// ESMTP parameters after the address (`SIZE=123`, `NOTIFY=NEVER`, `ORCPT=rfc822;a@b`), as given.
    package var parameters: [String]

    /// An envelope address from parts already parsed.
    package init(address: EmailAddress?, parameters: [String] = []) {
        self.address = address
        self.parameters = parameters
    }
}

/// Why an envelope address or mailbox could not be read; each case quotes the offending text.
package enum AddressParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A `<` without its `>`, or a stray `<` / `>`.
    case unbalancedBrackets(String)
    /// A `"` that opens a quoted local part and never closes.
    case unbalancedQuote(String)
    /// Nothing before the `@`.
    case emptyLocalPart(String)
    /// Nothing after the `@`.
    case emptyDomain(String)
    /// A control character (NUL, CR, LF, ...) somewhere in the text.
    case controlCharacter(String)
    /// The address is longer than `AddressParser.maxAddressBytes`.
    case tooLong(bytes: Int)
    /// A character that an address cannot hold where it stands (`a b@c`, `a@b,c`).
    case invalidCharacter(String, in: String)
    /// A source route (`<@relay:a@b>`) without the `:` that ends it, or with nothing after it.
    case badSourceRoute(String)

    /// What is wrong, quoting the address, in words an admin reading a log can act on.
    package var description: String {
        switch self {
        case .unbalancedBrackets(let t): "address \(t): unbalanced angle brackets; expected <local@domain>"
        case .unbalancedQuote(let t): "address \(t): a quoted local part is never closed with \""
        case .emptyLocalPart(let t): "address \(t): nothing before the @"
        case .emptyDomain(let t): "address \(t): nothing after the @"
        case .controlCharacter(let t): "address \(t): contains a control character"
        case .tooLong(let n): "address of \(n) bytes is longer than \(AddressParser.maxAddressBytes)"
        case .invalidCharacter(let c, let t): "address \(t): character \(c) is not allowed there"
        case .badSourceRoute(let t): "address \(t): source route must look like <@relay:local@domain>"
        }
    }

    /// The text as an error shows it: quoted, control characters escaped, long text cut, so a log
    /// line stays one line and an attacker's megabyte does not land in it.
    static func shown<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out = "\""
        for scalar in String(decoding: bytes.prefix(80), as: UTF8.self).unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out + (bytes.count > 80 ? "…\"" : "\"")
    }
}

/// Reads addresses from the envelope and from address headers.
package enum AddressParser {
    /// Longest address accepted; RFC 5321 allows 64 + 255, so anything past this is an attack.
    package static let maxAddressBytes = 1000

    /// Parses `<a@b.example> SIZE=10`, `a@b` (non_smtpd_milters give no brackets), `<>`,
    /// `<"john doe"@example.org>`, source routes `<@relay:a@b>` (route dropped), `postmaster`.
    /// libmilter hands the address and its ESMTP args; the bridge will pass them joined by one space.
    /// An empty text is the null sender too: Postfix's `{mail_addr}` is empty for `<>`.
    package static func envelope(_ raw: String) -> Result<EnvelopeAddress, AddressParseError> {
        withUTF8Bytes(of: raw) { envelope(bytes: Bytes(rebasing: $0[...])) }
    }

    /// A bare mailbox `a@b`, `"quoted local"@b`, `local` (no domain) → EmailAddress, or nil.
    package static func mailbox(_ text: String) -> EmailAddress? {
        withUTF8Bytes(of: text) { buffer in
            try? mailbox(bytes: trimmed(Bytes(rebasing: buffer[...]))).get()
        }
    }

    /// Addresses in a From/To/Cc header value: display names, quoted strings with commas,
    /// comments, groups (`undisclosed-recipients:;`, `team: a@x, b@y;`), angle-addr and addr-spec,
    /// folded lines; at most `limit` addresses, in order. Junk yields fewer addresses, never a crash.
    /// An addr-spec needs an `@`, except inside angle brackets (`<postmaster>`), because a lone
    /// word is far more often a piece of an unquoted display name (`Smith, John <js@x>`).
    package static func headerAddresses(_ value: String, limit: Int = 1000) -> [EmailAddress] {
        guard limit > 0 else { return [] }
        return withUTF8Bytes(of: value) { HeaderAddressReader(bytes: $0, limit: limit).read() }
    }

    typealias Bytes = UnsafeBufferPointer<UInt8>

    static func envelope(bytes all: Bytes) -> Result<EnvelopeAddress, AddressParseError> {
        let raw = trimmed(all)
        if raw.contains(where: { isControl($0) && $0 != MailByte.tab }) {
            return .failure(.controlCharacter(AddressParseError.shown(raw)))
        }
        var path: Bytes
        var rest: Bytes
        if raw.first == MailByte.lt {
            // A `>` inside a quoted local part (`<"a>b"@c>`) does not close the path.
            guard let close = pathEnd(raw, from: 1, stopAtSpace: false) else {
                return .failure(quoteIsOpen(raw, from: 1)
                    ? .unbalancedQuote(AddressParseError.shown(raw))
                    : .unbalancedBrackets(AddressParseError.shown(raw)))
            }
            guard raw[close] == MailByte.gt else {
                return .failure(.unbalancedBrackets(AddressParseError.shown(raw)))
            }
            path = Bytes(rebasing: raw[1..<close])
            rest = Bytes(rebasing: raw[(close + 1)...])
        } else {
            let end = pathEnd(raw, from: 0, stopAtSpace: true) ?? raw.count
            if end < raw.count, raw[end] == MailByte.lt || raw[end] == MailByte.gt {
                return .failure(.unbalancedBrackets(AddressParseError.shown(raw)))
            }
            if quoteIsOpen(raw, from: 0) && end == raw.count {
                return .failure(.unbalancedQuote(AddressParseError.shown(raw)))
            }
            path = Bytes(rebasing: raw[..<end])
            rest = Bytes(rebasing: raw[end...])
        }
        let parameters = rest.split(whereSeparator: { $0 == MailByte.space || $0 == MailByte.tab })
            .map { String(decoding: $0, as: UTF8.self) }
        if path.isEmpty { return .success(EnvelopeAddress(address: nil, parameters: parameters)) }
        if path.count > maxAddressBytes { return .failure(.tooLong(bytes: path.count)) }
        if path.first == MailByte.at {
            // RFC 5321 says to ignore the route; only the mailbox after the last `:` matters.
            // Without a `:` it is no route at all but a mailbox missing its local part (`<@b>`).
            guard let colon = path.lastIndex(of: MailByte.colon) else {
                return .failure(.emptyLocalPart(AddressParseError.shown(path)))
            }
            guard colon + 1 < path.count else {
                return .failure(.badSourceRoute(AddressParseError.shown(path)))
            }
            path = Bytes(rebasing: path[(colon + 1)...])
        }
        return mailbox(bytes: path).map { EnvelopeAddress(address: $0, parameters: parameters) }
    }

    /// Index of the `>` (or `<`) or, with `stopAtSpace`, the blank that ends a path, skipping
    /// quoted strings; nil when the text ends first.
    private static func pathEnd(_ raw: Bytes, from start: Int, stopAtSpace: Bool) -> Int? {
        var inQuote = false
        var i = start
        while i < raw.count {
            let c = raw[i]
            if inQuote {
                if c == MailByte.backslash { i += 1 } else if c == MailByte.quote { inQuote = false }
            } else if c == MailByte.quote {
                inQuote = true
            } else if c == MailByte.gt || c == MailByte.lt || (stopAtSpace && (c == MailByte.space || c == MailByte.tab)) {
                return i
            }
            i += 1
        }
        return nil
    }

    private static func quoteIsOpen(_ raw: Bytes, from start: Int) -> Bool {
        var inQuote = false
        var i = start
        while i < raw.count {
            if inQuote && raw[i] == MailByte.backslash { i += 2; continue }
            if raw[i] == MailByte.quote { inQuote.toggle() }
            i += 1
        }
        return inQuote
    }

    /// `local@domain`, `"quoted"@domain` or `local`: the mailbox rules shared by `envelope` and
    /// `mailbox`.
    static func mailbox(bytes: Bytes) -> Result<EmailAddress, AddressParseError> {
        let shown = { AddressParseError.shown(bytes) }
        if bytes.isEmpty { return .failure(.emptyLocalPart(shown())) }
        if bytes.count > maxAddressBytes { return .failure(.tooLong(bytes: bytes.count)) }
        if bytes.contains(where: isControl) { return .failure(.controlCharacter(shown())) }
        var local: [UInt8] = []
        var domainStart: Int?
        if bytes[0] == MailByte.quote {
            var i = 1
            var closed = false
            while i < bytes.count {
                let c = bytes[i]
                if c == MailByte.backslash, i + 1 < bytes.count {
                    local.append(bytes[i + 1])
                    i += 2
                    continue
                }
                if c == MailByte.quote { closed = true; break }
                local.append(c)
                i += 1
            }
            guard closed else { return .failure(.unbalancedQuote(shown())) }
            let after = i + 1
            if after < bytes.count {
                guard bytes[after] == MailByte.at else {
                    return .failure(.invalidCharacter(character(bytes[after]), in: shown()))
                }
                domainStart = after + 1
            }
        } else {
            let at = bytes.lastIndex(of: MailByte.at)
            let localBytes = bytes[..<(at ?? bytes.count)]
            if let bad = localBytes.first(where: { isSpecial($0) }) {
                return .failure(bad == MailByte.lt || bad == MailByte.gt
                    ? .unbalancedBrackets(shown()) : .invalidCharacter(character(bad), in: shown()))
            }
            local.append(contentsOf: localBytes)
            domainStart = at.map { $0 + 1 }
        }
        if local.isEmpty { return .failure(.emptyLocalPart(shown())) }
        var domain = Bytes(rebasing: bytes[bytes.count...])
        if let domainStart {
            domain = Bytes(rebasing: bytes[domainStart...])
            // `a@.` would fold to the bare local name `a`: its domain is as empty as `a@`.
            if domain.allSatisfy({ $0 == MailByte.dot }) { return .failure(.emptyDomain(shown())) }
            if let bad = invalidDomainByte(domain) {
                return .failure(bad == MailByte.lt || bad == MailByte.gt
                    ? .unbalancedBrackets(shown()) : .invalidCharacter(character(bad), in: shown()))
            }
        }
        return .success(EmailAddress(local: String(decoding: local, as: UTF8.self),
                                     domain: String(decoding: domain, as: UTF8.self)))
    }

    /// The first byte a domain cannot hold, or nil. An address literal `[192.0.2.1]` is kept whole.
    static func invalidDomainByte<C: BidirectionalCollection>(_ domain: C) -> UInt8? where C.Element == UInt8 {
        if domain.first == MailByte.openBracket {
            guard domain.count >= 3, domain.last == MailByte.closeBracket else { return MailByte.openBracket }
            return domain.dropFirst().dropLast().first { isSpecial($0) || $0 == MailByte.openBracket }
        }
        return domain.first { isSpecial($0) }
    }

    private static func character(_ b: UInt8) -> String { "\"" + String(UnicodeScalar(b)) + "\"" }

    static func trimmed(_ bytes: Bytes) -> Bytes {
        var lo = 0, hi = bytes.count
        while lo < hi, MailByte.isBlank(bytes[lo]) { lo += 1 }
        while hi > lo, MailByte.isBlank(bytes[hi - 1]) { hi -= 1 }
        return Bytes(rebasing: bytes[lo..<hi])
    }

    @inline(__always)
    static func isControl(_ b: UInt8) -> Bool { b < 0x20 || b == 0x7F }

    /// RFC 5322 specials and blanks: what an unquoted local part or a domain cannot contain.
    @inline(__always)
    static func isSpecial(_ b: UInt8) -> Bool {
        switch b {
        case MailByte.space, MailByte.tab, MailByte.openParen, MailByte.closeParen, MailByte.lt, MailByte.gt,
             MailByte.openBracket, MailByte.closeBracket, MailByte.colon, MailByte.semicolon, MailByte.at,
             MailByte.backslash, MailByte.comma, MailByte.quote:
            true
        default:
            isControl(b)
        }
    }
}

/// The ASCII bytes the parsers look for, named once.
enum MailByte {
    static let tab: UInt8 = 0x09, lf: UInt8 = 0x0A, cr: UInt8 = 0x0D, space: UInt8 = 0x20
    static let quote: UInt8 = 0x22, openParen: UInt8 = 0x28, closeParen: UInt8 = 0x29
    static let comma: UInt8 = 0x2C, dot: UInt8 = 0x2E, colon: UInt8 = 0x3A, semicolon: UInt8 = 0x3B
    static let lt: UInt8 = 0x3C, gt: UInt8 = 0x3E, at: UInt8 = 0x40
    static let openBracket: UInt8 = 0x5B, backslash: UInt8 = 0x5C, closeBracket: UInt8 = 0x5D

    @inline(__always)
    static func isBlank(_ b: UInt8) -> Bool { b == space || b == tab || b == cr || b == lf }
}

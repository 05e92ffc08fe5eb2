/// One result of a table entry, as the admin wrote it.
enum AliasTarget: Sendable, Equatable {
    /// An address lookup key (`local@domain`, or a bare `local`); `expand` is false for `\name`,
    /// which aliases(5) delivers to the local user without looking it up again.
    case address(String, expand: Bool)
    /// An `:include:` file by absolute path; `line` is where it was named, for problems.
    case include(String, line: Int)
    /// A `|command` or `/file/name` delivery: one final destination, distinct by its text.
    case delivery(String)
}

/// One key of a table with its results, from the logical line starting at `line`.
struct AliasEntry: Sendable {
    var key: String
    var targets: [AliasTarget]
    var line: Int
}

/// Parsers for the text tables admins edit: Postfix virtual(5) and aliases(5) sources, the
/// `postmap -s` / `postalias -s` dumps of them, and `:include:` files.
///
/// They work on bytes, not `String` lines, because one list may have a million members.
enum AliasTable {
    /// virtual(5): `pattern  address, address, ...`. `@domain` catch-alls and `user@` patterns
    /// are skipped without complaint: they rewrite addresses, they do not name a list.
    static func virtual(_ bytes: [UInt8], file: String) -> (entries: [AliasEntry], problems: [TableProblem]) {
        var entries: [AliasEntry] = []
        var problems: [TableProblem] = []
        forEachLogicalLine(bytes) { line, text in
            func problem(_ message: String) { problems.append(TableProblem(file: file, line: line, message: message)) }
            var cut = text.startIndex
            var quoted = false
            while cut < text.endIndex && (quoted || !isBlank(text[cut])) {
                if text[cut] == TableByte.quote { quoted.toggle() }
                cut += 1
            }
            let pattern = text[..<cut]
            if pattern.first == TableByte.at || pattern.last == TableByte.at { return }
            guard let key = addressKey(pattern) else { return problem("cannot read the pattern \(show(pattern))") }
            var targets: [AliasTarget] = []
            var isFirst = true
            let closed = forEachItem(text[cut...]) { item in
                forEachAddressWord(item) { word in
                    defer { isFirst = false }
                    if word.first == TableByte.at {
                        // virtual(5): "@otherdomain" as the first result means the same user there.
                        // Fold the domain the same way by giving it a stand-in user, then drop it.
                        guard isFirst, let folded = addressKey(([TableByte.x] + word)[...]), folded.count > 2 else {
                            return problem("result \(show(word)) has no user part")
                        }
                        // why utf8: "@" followed by a combining mark is one Character with it.
                        let user = key.utf8.lastIndex(of: TableByte.at).map { String(decoding: key.utf8[..<$0], as: UTF8.self) } ?? key
                        targets.append(.address(user + folded.dropFirst(), expand: true))
                    } else if let result = addressKey(word) {
                        targets.append(.address(result, expand: true))
                    } else {
                        problem("cannot read the result address \(show(word))")
                    }
                }
            }
            guard closed else { return problem("a double quote is not closed") }
            guard !targets.isEmpty else { return problem("\(key) has no result address") }
            entries.append(AliasEntry(key: key, targets: targets, line: line))
        }
        return (entries, problems)
    }

    /// aliases(5): `name: value, value, ...` where a value is an address, `\user`, `|command`,
    /// `/file/name` or `:include:/file/name`. Names may be quoted.
    static func aliases(_ bytes: [UInt8], file: String) -> (entries: [AliasEntry], problems: [TableProblem]) {
        var entries: [AliasEntry] = []
        var problems: [TableProblem] = []
        forEachLogicalLine(bytes) { line, text in
            func problem(_ message: String) { problems.append(TableProblem(file: file, line: line, message: message)) }
            var colon = text.startIndex
            var quoted = false
            while colon < text.endIndex && (quoted || text[colon] != TableByte.colon) {
                if text[colon] == TableByte.quote { quoted.toggle() }
                colon += 1
            }
            guard colon < text.endIndex else { return problem("expected \"name: value\", found \(show(text))") }
            var name = trimmed(text[..<colon])
            if name.count >= 2 && name.first == TableByte.quote && name.last == TableByte.quote {
                name = name.dropFirst().dropLast()
            }
            guard !name.isEmpty else { return problem("alias name is empty") }
            let key = lowercased(name)
            var targets: [AliasTarget] = []
            let closed = forEachItem(text[(colon + 1)...]) { item in
                appendAliasTargets(of: item, line: line, file: file, to: &targets, problems: &problems)
            }
            guard closed else { return problem("a double quote is not closed") }
            guard !targets.isEmpty else { return problem("alias \(key) has no value") }
            entries.append(AliasEntry(key: key, targets: targets, line: line))
        }
        return (entries, problems)
    }

    /// An `:include:` file: alias values, any number per line, comma separated. Every physical
    /// line stands alone, so each target keeps its own line number.
    static func include(_ bytes: [UInt8], file: String) -> (targets: [AliasTarget], problems: [TableProblem]) {
        var targets: [AliasTarget] = []
        var problems: [TableProblem] = []
        forEachLogicalLine(bytes, joiningContinuations: false) { line, text in
            let closed = forEachItem(text) { item in
                appendAliasTargets(of: item, line: line, file: file, to: &targets, problems: &problems)
            }
            if !closed { problems.append(TableProblem(file: file, line: line, message: "a double quote is not closed")) }
        }
        return (targets, problems)
    }

    // MARK: - Pieces shared by the formats

    /// Classifies one comma-separated alias value.
    private static func appendAliasTargets(of item: ArraySlice<UInt8>, line: Int, file: String,
                                           to targets: inout [AliasTarget], problems: inout [TableProblem]) {
        var bare = item
        if bare.count >= 2 && bare.first == TableByte.quote && bare.last == TableByte.quote { bare = bare.dropFirst().dropLast() }
        if bare.count >= 9 && lowercased(bare.prefix(9)) == ":include:" {
            var path = trimmed(bare.dropFirst(9))
            if path.count >= 2 && path.first == TableByte.quote && path.last == TableByte.quote { path = path.dropFirst().dropLast() }
            guard path.first == TableByte.slash else {
                problems.append(TableProblem(file: file, line: line, message: "include file \(show(path)) is not an absolute path"))
                return
            }
            targets.append(.include(String(decoding: path, as: UTF8.self), line: line))
        } else if bare.first == TableByte.pipe || bare.first == TableByte.slash {
            targets.append(.delivery(String(decoding: bare, as: UTF8.self)))
        } else {
            forEachAddressWord(item) { word in
                let expand = word.first != TableByte.backslash
                guard let key = addressKey(expand ? word : word.dropFirst()) else {
                    problems.append(TableProblem(file: file, line: line, message: "cannot read the address \(show(word))"))
                    return
                }
                targets.append(.address(key, expand: expand))
            }
        }
    }

    /// Calls `body` with each logical line and the number of its first physical line. Blank and
    /// `#` lines are skipped; a line starting with whitespace continues the one before, unless
    /// `joiningContinuations` is false.
    static func forEachLogicalLine(_ bytes: [UInt8], joiningContinuations: Bool = true,
                                   _ body: (_ line: Int, _ text: ArraySlice<UInt8>) -> Void) {
        var pending: [Range<Int>] = []
        var pendingLine = 0
        func flush() {
            if pending.count == 1 {
                body(pendingLine, bytes[pending[0]])
            } else if pending.count > 1 {
                // Rare (continuations), so a copy is cheaper than teaching every parser about gaps.
                var joined: [UInt8] = []
                joined.reserveCapacity(pending.reduce(0) { $0 + $1.count + 1 })
                for range in pending {
                    joined.append(contentsOf: bytes[range])
                    joined.append(TableByte.space)
                }
                body(pendingLine, joined[...])
            }
            pending.removeAll(keepingCapacity: true)
        }
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            lineNumber += 1
            let end = bytes[start...].firstIndex(of: TableByte.newline) ?? bytes.count
            var stop = end
            if stop > start && bytes[stop - 1] == TableByte.cr { stop -= 1 }
            var first = start
            while first < stop && isBlank(bytes[first]) { first += 1 }
            if first < stop && bytes[first] != TableByte.hash {
                if first == start || pending.isEmpty || !joiningContinuations {
                    flush()
                    pendingLine = lineNumber
                }
                pending.append(first..<stop)
            }
            start = end + 1
        }
        flush()
    }

    /// Splits `text` at commas outside double quotes and hands over each non-empty, trimmed
    /// item. Returns false when a quote is left open (the items seen are still handed over).
    static func forEachItem(_ text: ArraySlice<UInt8>, _ body: (ArraySlice<UInt8>) -> Void) -> Bool {
        var quoted = false
        var escaped = false
        var start = text.startIndex
        for i in text.indices {
            let byte = text[i]
            if escaped {
                escaped = false
            } else if byte == TableByte.backslash {
                escaped = true
            } else if byte == TableByte.quote {
                quoted.toggle()
            } else if byte == TableByte.comma && !quoted {
                let item = trimmed(text[start..<i])
                if !item.isEmpty { body(item) }
                start = i + 1
            }
        }
        let item = trimmed(text[start...])
        if !item.isEmpty { body(item) }
        return !quoted
    }

    /// The addresses in one item: the `<...>` part of `Name <addr>`, else each blank-separated
    /// word (virtual(5) allows `a b` as well as `a, b`).
    static func forEachAddressWord(_ item: ArraySlice<UInt8>, _ body: (ArraySlice<UInt8>) -> Void) {
        var quoted = false
        for i in item.indices {
            if item[i] == TableByte.quote { quoted.toggle() }
            if !quoted && item[i] == TableByte.lt, let close = item[i...].firstIndex(of: TableByte.gt) {
                return body(item[i...close])
            }
        }
        quoted = false
        var wordStart: Int? = nil
        for i in item.indices {
            let byte = item[i]
            if byte == TableByte.quote { quoted.toggle() }
            if !quoted && isBlank(byte) {
                if let s = wordStart { body(item[s..<i]) }
                wordStart = nil
            } else if wordStart == nil {
                wordStart = i
            }
        }
        if let s = wordStart { body(item[s...]) }
    }

    /// The lookup key of one address word, folded like `EmailAddress.key`: angle brackets and
    /// the quotes of a quoted local part removed, lower-cased, no trailing dot. Nil without a local part.
    static func addressKey(_ word: ArraySlice<UInt8>) -> String? {
        var lo = word.startIndex
        var hi = word.endIndex
        if lo < hi && word[lo] == TableByte.lt { lo += 1 }
        if lo < hi && word[hi - 1] == TableByte.gt { hi -= 1 }
        var at: Int? = nil
        var quoted = false
        for i in lo..<hi {
            if word[i] == TableByte.quote { quoted.toggle() } else if word[i] == TableByte.at && !quoted { at = i }
        }
        var local = word[lo..<(at ?? hi)]
        let quotedLocal = local.count >= 2 && local.first == TableByte.quote && local.last == TableByte.quote
        if quotedLocal { local = local.dropFirst().dropLast() }
        guard !local.isEmpty else { return nil }
        var domain = word[(at.map { $0 + 1 } ?? hi)..<hi]
        while domain.last == TableByte.dot { domain = domain.dropLast() }
        if local.contains(where: { $0 >= 0x80 }) || domain.contains(where: { $0 >= 0x80 }) {
            // Unicode case folding must match EmailAddress exactly, so let it do the work.
            return EmailAddress(local: String(decoding: local, as: UTF8.self),
                                domain: String(decoding: domain, as: UTF8.self)).key
        }
        if !quotedLocal && (at == nil || !domain.isEmpty),
           !local.contains(where: isUpper) && !domain.contains(where: isUpper) {
            // The common case: already folded and in one piece, so one copy makes the key.
            return String(decoding: word[local.startIndex..<domain.endIndex], as: UTF8.self)
        }
        var key: [UInt8] = []
        key.reserveCapacity(local.count + domain.count + 1)
        for byte in local { key.append(asciiLower(byte)) }
        if !domain.isEmpty {
            key.append(TableByte.at)
            for byte in domain { key.append(asciiLower(byte)) }
        }
        return String(decoding: key, as: UTF8.self)
    }

    static func lowercased(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self).lowercased()
    }

    static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let b = slice.first, isBlank(b) { slice = slice.dropFirst() }
        while let b = slice.last, isBlank(b) { slice = slice.dropLast() }
        return slice
    }

    /// Text for a problem message: quoted, and cut short so one bad megabyte line stays readable.
    static func show(_ bytes: ArraySlice<UInt8>) -> String {
        let text = String(decoding: bytes.prefix(60), as: UTF8.self)
        return "\"" + text + (bytes.count > 60 ? "…\"" : "\"")
    }

    static func isBlank(_ byte: UInt8) -> Bool {
        byte == TableByte.space || byte == TableByte.tab || byte == TableByte.newline || byte == TableByte.cr
    }

    private static func isUpper(_ byte: UInt8) -> Bool { byte >= 0x41 && byte <= 0x5A }

    private static func asciiLower(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }
}

/// The ASCII bytes the table formats give meaning to.
enum TableByte {
    static let tab: UInt8 = 0x09, newline: UInt8 = 0x0A, cr: UInt8 = 0x0D, space: UInt8 = 0x20
    static let quote: UInt8 = 0x22, hash: UInt8 = 0x23, comma: UInt8 = 0x2C, dot: UInt8 = 0x2E
    static let slash: UInt8 = 0x2F, colon: UInt8 = 0x3A, lt: UInt8 = 0x3C, gt: UInt8 = 0x3E
    static let at: UInt8 = 0x40, backslash: UInt8 = 0x5C, pipe: UInt8 = 0x7C, x: UInt8 = 0x78
}

/// How an address finds its table entry and its mailbox, the way Postfix searches its tables.
struct AddressKeys: Sendable {
    let delimiters: String
    let localDomains: Set<String>
    /// False when no table has a domain-less key, which spares two lookups per miss.
    let bareNamesExist: Bool

    /// The first of `user+ext@domain`, `user@domain`, then (in a local domain) `user+ext` and
    /// `user` for which `find` answers.
    func first<T>(_ key: String, _ find: (String) -> T?) -> T? {
        if let found = find(key) { return found }
        let (local, domain) = split(key)
        let base = withoutExtension(local)
        if let base, let found = find(domain.isEmpty ? String(base) : base + "@" + domain) { return found }
        guard bareNamesExist, !domain.isEmpty,
              localDomains.isEmpty || localDomains.contains(String(domain)) else { return nil }
        if let found = find(String(local)) { return found }
        if let base, let found = find(String(base)) { return found }
        return nil
    }

    /// The identity of a final mailbox, so one person on two lists counts once: the extension
    /// is dropped, and in a listed local domain the address is the bare user, because Postfix
    /// delivers `alice@` every local domain to the one local user `alice`.
    func mailbox(_ key: String) -> String {
        if delimiters.isEmpty && localDomains.isEmpty { return key }
        let (local, domain) = split(key)
        let user = withoutExtension(local) ?? local
        if domain.isEmpty || localDomains.contains(String(domain)) { return String(user) }
        return user + "@" + domain
    }

    private func split(_ key: String) -> (local: Substring, domain: Substring) {
        // On the UTF-8 view: Character-by-Character search costs more than the lookup itself.
        guard let at = key.utf8.lastIndex(of: TableByte.at) else { return (key[...], "") }
        return (key[..<at], key[key.utf8.index(after: at)...])
    }

    private func withoutExtension(_ local: Substring) -> Substring? {
        // why scalars: a delimiter followed by a combining mark is one Character with it.
        let scalars = local.unicodeScalars
        guard !delimiters.isEmpty, let cut = scalars.firstIndex(where: { delimiters.unicodeScalars.contains($0) }),
              cut != scalars.startIndex else { return nil }
        return Substring(scalars[..<cut])
    }
}

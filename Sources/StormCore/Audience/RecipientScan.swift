/// The fast path for ordinary mail: counts the audience of recipients none of which any table
/// or learned size knows, straight from the bytes the MTA gave, without a String per address.
///
/// It answers nil whenever it is not sure (a list or a size may be involved, an address that is
/// not plain ASCII `local@domain`, local-domain folding in force), and the engine then takes the
/// full path through `AddressParser` and `AudienceDirectory.audience`. So the two always agree;
/// a test checks that over generated recipients.
enum RecipientScan {
    /// Hashes of one recipient: the whole address and its local part, each with and without
    /// the recipient_delimiter extension, lower-cased as Postfix folds table lookups.
    struct Keys {
        var full: UInt64
        var base: UInt64
        var local: UInt64
        var baseLocal: UInt64
    }

    /// The audience of `raws` when every one of them is a plain mailbox no table knows.
    static func plainAudience(_ raws: [String], directory: AudienceDirectory, learned: [UInt64: Int],
                              delimiters: String) -> Int? {
        guard directory.keys.localDomains.isEmpty else { return nil }
        let delimiterBytes = Array(delimiters.utf8)
        // A small envelope dedups in an array (cheaper than hashing); a large one in a set, so
        // 50,000 recipients stay linear.
        let small = raws.count <= 64
        var seen: [UInt64] = []
        var seenSet = Set<UInt64>()
        if small { seen.reserveCapacity(raws.count) } else { seenSet.reserveCapacity(raws.count) }
        let bare = directory.keys.bareNamesExist
        let hashes = directory.keyHashes
        for raw in raws {
            guard let k = keys(raw, delimiters: delimiterBytes, withLocal: bare) else { return nil }
            // Each lookup hashes again: skip the ones that cannot differ (no extension, no
            // domain-less table keys), which is the common case.
            let hasExtension = k.base != k.full
            if !hashes.isEmpty {
                if hashes.contains(k.full) || (hasExtension && hashes.contains(k.base)) { return nil }
                if bare, hashes.contains(k.local) || (hasExtension && hashes.contains(k.baseLocal)) { return nil }
            }
            if !learned.isEmpty, learned[k.full] != nil || (hasExtension && learned[k.base] != nil) { return nil }
            if small {
                if !seen.contains(k.base) { seen.append(k.base) }
            } else {
                seenSet.insert(k.base)
            }
        }
        return small ? seen.count : seenSet.count
    }

    /// Hashes of `<local@domain> ARGS` or `local@domain ARGS`; nil for anything unusual
    /// (quotes, routes, non-ASCII, no `@`), which the full parser then handles.
    static func keys(_ raw: String, delimiters: [UInt8], withLocal: Bool = true) -> Keys? {
        var copy = raw
        return copy.withUTF8 { bytes -> Keys? in
            var i = 0
            let n = bytes.count
            while i < n, bytes[i] == 0x20 || bytes[i] == 0x09 { i += 1 }
            var bracketed = false
            if i < n, bytes[i] == UInt8(ascii: "<") { bracketed = true; i += 1 }
            var full = KeyHasher(), base = KeyHasher(), local = KeyHasher(), baseLocal = KeyHasher()
            var inExtension = false, sawAt = false, localCount = 0, domainCount = 0
            while i < n {
                var b = bytes[i]
                if bracketed, b == UInt8(ascii: ">") { break }
                if !bracketed, b == 0x20 { break }
                // Printable ASCII only, and none of the characters that need the real parser.
                guard b > 0x20, b < 0x7f else { return nil }
                switch b {
                case UInt8(ascii: "\""), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ","),
                     UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "\\"), UInt8(ascii: "["),
                     UInt8(ascii: "]"), UInt8(ascii: "<"), UInt8(ascii: ">"):
                    return nil
                default: break
                }
                if b >= 0x41, b <= 0x5a { b += 0x20 }
                if b == UInt8(ascii: "@") {
                    guard !sawAt, localCount > 0 else { return nil }
                    sawAt = true
                    inExtension = false
                    full.add(b); base.add(b)
                } else if sawAt {
                    full.add(b); base.add(b)
                    domainCount += 1
                } else {
                    if !inExtension, localCount > 0, delimiters.contains(b) { inExtension = true }
                    full.add(b)
                    if withLocal { local.add(b) }
                    if !inExtension {
                        base.add(b)
                        if withLocal { baseLocal.add(b) }
                    }
                    localCount += 1
                }
                i += 1
            }
            if bracketed, i >= n { return nil }
            // A trailing dot on the domain is folded by the parser; leave such oddities to it.
            guard sawAt, domainCount > 0, i == 0 || bytes[i - 1] != UInt8(ascii: ".") else { return nil }
            return Keys(full: full.value, base: base.value, local: local.value, baseLocal: baseLocal.value)
        }
    }
}

/// Replaces addresses by keyed hashes, so recorded traffic can be shared without saying who
/// wrote to whom. The same key always gives the same hash, so threads, repliers and lists
/// still line up; without the key the names cannot be guessed back by trying addresses.
public struct AddressHasher: Sendable {
    /// What to do with the domain.
    public enum DomainHandling: Sendable {
        /// Keep it (lower-cased): lists and local domains stay recognisable.
        case keep
        /// Hash it too, as `d-<hex>.invalid`.
        case hash
    }

    private let key: [UInt8]
    /// What happens to domains.
    public let domains: DomainHandling

    /// A hasher under a secret key (any bytes; keep it to hash size files the same way).
    public init(key: some StringProtocol, domains: DomainHandling = .keep) {
        self.key = Array(key.utf8)
        self.domains = domains
    }

    /// `u-<16 hex>` for a local part; case-folded first, since mailboxes are matched that way.
    public func hashLocalPart(_ local: some StringProtocol) -> String {
        "u-" + hex(SHA256.hmac(key: key, Array(("local:" + local.lowercased()).utf8)).prefix(8))
    }

    /// A domain as the handling says.
    public func hashDomain(_ domain: some StringProtocol) -> String {
        switch domains {
        case .keep: domain.lowercased()
        case .hash: "d-" + hex(SHA256.hmac(key: key, Array(("domain:" + domain.lowercased()).utf8)).prefix(8)) + ".invalid"
        }
    }

    /// An envelope address (`<a@b>`, `a@b`, `a`), keeping brackets; `<>` stays as it is.
    public func hashAddress(_ address: String) -> String {
        // why scalars: "<", "@" or ":" followed by a combining mark is one Character with it, and
        // a Character-wise search for the last "@" would take an earlier one, leaving part of the
        // local part in clear as the domain.
        var core = Substring(address).unicodeScalars
        let bracketed = core.first == "<" && core.last == ">" && core.count >= 2
        if bracketed { core = core.dropFirst().dropLast() }
        if core.isEmpty { return address }
        // why: a source route (`@a,@b:user@c`) is noise from the past; only the mailbox matters.
        if core.first == "@", let colon = core.firstIndex(of: ":") { core = core[core.index(after: colon)...] }
        let hashed: String
        if let at = core.lastIndex(of: "@") {
            hashed = hashLocalPart(Substring(core[..<at])) + "@" + hashDomain(Substring(core[core.index(after: at)...]))
        } else {
            hashed = hashLocalPart(Substring(core))
        }
        return bracketed ? "<" + hashed + ">" : hashed
    }

    /// Every `local@domain` in free text (a To or Cc header) replaced; the rest kept as is.
    /// Display names are not addresses and stay: drop or rewrite those headers separately.
    public func hashAddresses(inText text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        func isLocal(_ c: Unicode.Scalar) -> Bool {
            c.properties.isAlphabetic || c.properties.numericType != nil || "!#$%&'*+-/=?^_`{|}~.".unicodeScalars.contains(c)
        }
        func isDomain(_ c: Unicode.Scalar) -> Bool {
            c.properties.isAlphabetic || c.properties.numericType != nil || c == "-" || c == "."
        }
        var out = String.UnicodeScalarView()
        var i = 0
        var copied = 0
        while i < scalars.count {
            guard scalars[i] == "@" else { i += 1; continue }
            var from = i
            while from > copied, isLocal(scalars[from - 1]) { from -= 1 }
            var to = i + 1
            while to < scalars.count, isDomain(scalars[to]) { to += 1 }
            while to > i + 1, scalars[to - 1] == "." { to -= 1 }
            guard from < i, to > i + 1 else { i += 1; continue }
            out.append(contentsOf: scalars[copied..<from])
            let local = String(String.UnicodeScalarView(scalars[from..<i]))
            let domain = String(String.UnicodeScalarView(scalars[(i + 1)..<to]))
            out.append(contentsOf: (hashLocalPart(local) + "@" + hashDomain(domain)).unicodeScalars)
            copied = to
            i = to
        }
        out.append(contentsOf: scalars[copied...])
        return String(out)
    }

    /// A session with envelope addresses, address headers and address macros hashed: what the
    /// recorder writes when asked to keep names private.
    public func hashing(_ session: Session) -> Session {
        var s = session
        for i in s.messages.indices {
            var m = s.messages[i]
            m.sender.address = hashAddress(m.sender.address)
            m.recipients = m.recipients.map { EnvelopeAddress(hashAddress($0.address), arguments: $0.arguments) }
            for j in m.headers.indices where Self.addressHeaders.contains(m.headers[j].name.lowercased()) {
                m.headers[j].value = hashAddresses(inText: m.headers[j].value)
            }
            for stage in m.macros.keys {
                m.macros[stage]!.pairs = m.macros[stage]!.pairs.map { pair in
                    Self.addressMacros.contains(pair.name) ? (pair.name, hashAddresses(inText: hashBare(pair.value))) : pair
                }
            }
            s.messages[i] = m
        }
        return s
    }

    /// `{auth_authen}` may be a bare login name without `@`.
    private func hashBare(_ value: String) -> String {
        value.contains("@") || value.isEmpty ? value : hashLocalPart(value)
    }

    static let addressHeaders: Set<String> = ["from", "to", "cc", "bcc", "reply-to", "sender", "return-path",
                                              "delivered-to", "resent-from", "resent-to", "resent-cc"]
    static let addressMacros: Set<String> = ["{mail_addr}", "{rcpt_addr}", "{auth_authen}", "{auth_author}"]

    private func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

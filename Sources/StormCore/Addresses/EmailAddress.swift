/// A mailbox address, folded the way Postfix folds table lookups: the whole address lower-cased.
///
/// `local` never contains the surrounding quotes of a quoted local part; `domain` is empty for
/// a bare local name (`postmaster`), as the aliases(5) tables and `sendmail -t` produce.
public struct EmailAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Local part, lower-cased, quotes removed.
    public let local: String
    /// Domain, lower-cased, without a trailing dot; empty when the address had none.
    public let domain: String

    /// Builds an address from parts that are already clean; folds case and a trailing dot.
    public init(local: String, domain: String) {
        self.local = local.lowercased()
        var d = domain.lowercased()
        // why scalars: a Prepend scalar (U+0600) before the dot is one Character with it.
        while d.unicodeScalars.last == "." { d.unicodeScalars.removeLast() }
        self.domain = d
    }

    /// `local@domain`, or `local` alone when there is no domain: the lookup key of the tables.
    public var key: String { domain.isEmpty ? local : local + "@" + domain }

    public var description: String { key }

    public static func < (a: EmailAddress, b: EmailAddress) -> Bool { a.key < b.key }

    /// The address with its recipient_delimiter extension removed (`alice+lists@x` → `alice@x`),
    /// or nil when it has none. `delimiters` holds Postfix's recipient_delimiter characters;
    /// like Postfix, the first delimiter found in the local part splits it.
    /// By scalar, as Postfix splits bytes: a delimiter followed by a combining mark is one
    /// Character with it, which a Character-wise search would not find.
    public func withoutExtension(delimiters: String) -> EmailAddress? {
        let scalars = local.unicodeScalars
        guard !delimiters.isEmpty,
              let cut = scalars.firstIndex(where: { delimiters.unicodeScalars.contains($0) }),
              cut != scalars.startIndex
        else { return nil }
        return EmailAddress(local: String(scalars[..<cut]), domain: domain)
    }
}

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
        while d.hasSuffix(".") { d.removeLast() }
        self.domain = d
    }

    /// `local@domain`, or `local` alone when there is no domain: the lookup key of the tables.
    public var key: String { domain.isEmpty ? local : local + "@" + domain }

    public var description: String { key }

    public static func < (a: EmailAddress, b: EmailAddress) -> Bool { a.key < b.key }

    /// The address with its recipient_delimiter extension removed (`alice+lists@x` → `alice@x`),
    /// or nil when it has none. `delimiters` holds Postfix's recipient_delimiter characters;
    /// like Postfix, the first delimiter found in the local part splits it.
    public func withoutExtension(delimiters: String) -> EmailAddress? {
        guard !delimiters.isEmpty,
              let cut = local.firstIndex(where: { delimiters.contains($0) }),
              cut != local.startIndex
        else { return nil }
        return EmailAddress(local: String(local[..<cut]), domain: domain)
    }
}

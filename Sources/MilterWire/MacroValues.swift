/// Macro values (`{mail_addr}` → `alice@example.org`) offered for one stage, in order.
///
/// Names are spelled as the MTA spells them (`i`, `{daemon_name}`); a filter's macro list may
/// spell them with or without braces, and both match.
public struct MacroValues: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    /// The name/value pairs in the order they are sent.
    public var pairs: [(name: String, value: String)]

    /// Pairs in order.
    public init(_ pairs: [(name: String, value: String)] = []) { self.pairs = pairs }

    /// `["i": "4F2A1", "{mail_addr}": "a@b"]`, kept in the literal's order.
    public init(dictionaryLiteral elements: (String, String)...) {
        pairs = elements.map { (name: $0.0, value: $0.1) }
    }

    /// True when there is nothing to send.
    public var isEmpty: Bool { pairs.isEmpty }

    /// Only the pairs whose names the filter asked for.
    func filtered(by wanted: Set<String>) -> MacroValues {
        MacroValues(pairs.filter { wanted.contains(Self.bare($0.name)) })
    }

    /// `{name}` → `name`; why: libmilter lists and MTAs disagree on the braces.
    static func bare(_ name: String) -> String {
        name.hasPrefix("{") && name.hasSuffix("}") && name.count >= 2
            ? String(name.dropFirst().dropLast()) : name
    }

    /// Equal when the same pairs come in the same order.
    public static func == (a: MacroValues, b: MacroValues) -> Bool {
        a.pairs.elementsEqual(b.pairs) { $0.name == $1.name && $0.value == $1.value }
    }
}

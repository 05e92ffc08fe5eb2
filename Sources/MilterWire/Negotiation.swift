/// The filter's answer to option negotiation: what it speaks, may change, and wants sent.
public struct Negotiation: Sendable, Equatable {
    /// Protocol version the filter will speak (at most the MTA's).
    public var version: UInt32
    /// Actions the filter may take.
    public var actions: FilterActions
    /// Steps to leave out and steps it will not answer.
    public var flags: ProtocolFlags
    /// Macros the filter wants at each stage; a stage absent here gets everything offered.
    public var macros: [MacroStage: [String]]

    /// A negotiation result with the given parts.
    public init(version: UInt32, actions: FilterActions, flags: ProtocolFlags,
                macros: [MacroStage: [String]] = [:]) {
        self.version = version
        self.actions = actions
        self.flags = flags
        self.macros = macros
    }

    /// Decodes an 'O' payload: three big-endian words, then (stage, "names" NUL) pairs.
    init(payload: [UInt8]) throws(WireError) {
        var reader = PayloadReader(.optionNegotiation, payload)
        version = try reader.uint32("version")
        actions = FilterActions(rawValue: try reader.uint32("actions"))
        flags = ProtocolFlags(rawValue: try reader.uint32("protocol flags"))
        var lists: [MacroStage: [String]] = [:]
        while !reader.isAtEnd {
            let (stage, names) = try Self.macroList(&reader)
            lists[stage] = names
        }
        macros = lists
    }

    /// Reads one (stage, space-separated names) entry, shared with the 'l' response.
    static func macroList(_ reader: inout PayloadReader) throws(WireError) -> (MacroStage, [String]) {
        let raw = try reader.uint32("macro stage")
        guard let stage = MacroStage(rawValue: raw) else { throw .invalidMacroStage(raw) }
        // why scalars: a space followed by a combining mark is one Character, yet still a space.
        let names = try reader.string("macro list").unicodeScalars.split(separator: " ").map(String.init)
        return (stage, names)
    }
}

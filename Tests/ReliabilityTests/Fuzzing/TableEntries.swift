import StormCore

extension FuzzEntry {
    /// The audience tables: virtual(5), aliases(5) and size-file text loaded together. Loading
    /// never fails (problems are reported with a line inside the text), and the audience is a
    /// set size: a duplicated recipient adds nothing, and a union is never smaller than a part.
    static func audience(_ bytes: [UInt8]) -> String? {
        var input = FuzzInput(bytes)
        let delimiter = input.byte() & 1 == 1 ? "+" : ""
        let parts = input.parts()
        func part(_ i: Int) -> String { i < parts.count ? parts[i] : "" }
        let sources: [AudienceSource] = [
            .virtualAliasesText(name: "virtual", text: part(0)),
            .aliasesText(name: "aliases", text: part(1)),
            .sizesText(name: "sizes", text: part(2)),
        ]
        let options = AudienceOptions(recipientDelimiter: delimiter, localDomains: ["example.test"])
        let (directory, problems) = AudienceDirectory.load(sources, options: options)
        for p in problems {
            let text = p.file == "virtual" ? part(0) : p.file == "aliases" ? part(1) : part(2)
            let lines = text.utf8.count(where: { $0 == 0x0A }) + 1
            guard p.line >= 0, p.line <= lines else { return "problem at line \(p.line) of a \(lines)-line text: \(p)" }
        }
        // Recipients: the table keys themselves (first word of each line) and the extra part.
        var words: [String] = part(3).split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        for text in parts.prefix(3) {
            for line in text.split(separator: "\n").prefix(20) {
                if let w = line.split(whereSeparator: { $0 == " " || $0 == ":" || $0 == "\t" }).first { words.append(String(w)) }
            }
        }
        let addresses = words.prefix(40).compactMap { AddressParser.mailbox($0) }
        let none: (EmailAddress) -> Int? = { _ in nil }
        for a in addresses.prefix(8) {
            let one = directory.audience(of: [a], learned: none)
            let twice = directory.audience(of: [a, a], learned: none)
            guard one == twice else { return "\(a) counted twice: \(one) vs \(twice)" }
            guard one.count >= 0, directory.size(of: a) >= 0 else { return "negative audience for \(a)" }
            _ = directory.isList(a)
        }
        let whole = directory.audience(of: addresses, learned: none)
        guard whole.count >= 0 else { return "negative audience" }
        if !whole.isUpperBound {
            for a in addresses.prefix(8) {
                let one = directory.audience(of: [a], learned: none)
                guard one.isUpperBound || one.count <= whole.count else {
                    return "union \(whole.count) smaller than its part \(a): \(one.count)"
                }
            }
        }
        return nil
    }
}

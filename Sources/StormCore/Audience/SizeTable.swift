/// One line of a size file: an address whose audience is known only as a number.
struct SizeEntry: Sendable, Equatable {
    var key: String
    var size: Int
    var line: Int
}

/// The `address  size` file, for lists kept elsewhere (Mailman, LDAP exports): one address and
/// one positive whole number per line, whitespace between, `#` comments and blank lines ignored.
enum SizeTable {
    /// Far above any real list; keeps sums of many sizes far from overflowing.
    static let maxSize = 1_000_000_000

    /// Every well-formed line, and a problem (with its line) for each line that is not.
    static func parse(_ bytes: [UInt8], file: String) -> (entries: [SizeEntry], problems: [TableProblem]) {
        var entries: [SizeEntry] = []
        var problems: [TableProblem] = []
        // A size file has no continuation lines: each line is read on its own.
        AliasTable.forEachLogicalLine(bytes, joiningContinuations: false) { line, text in
            func problem(_ message: String) { problems.append(TableProblem(file: file, line: line, message: message)) }
            let fields = text.split(whereSeparator: AliasTable.isBlank)
            guard fields.count == 2 else {
                return problem("expected \"address size\", found \(AliasTable.show(text))")
            }
            guard fields[0].first != TableByte.at, let key = AliasTable.addressKey(fields[0]) else {
                return problem("\(AliasTable.show(fields[0])) is not an address")
            }
            guard let size = positiveNumber(fields[1]) else {
                return problem("size \(AliasTable.show(fields[1])) is not a whole number from 1 to \(maxSize)")
            }
            entries.append(SizeEntry(key: key, size: size, line: line))
        }
        return (entries, problems)
    }

    /// Digits only, 1...maxSize; anything else (signs, decimals, overflow) is nil.
    private static func positiveNumber(_ digits: ArraySlice<UInt8>) -> Int? {
        guard !digits.isEmpty, digits.count <= 10 else { return nil }
        var value = 0
        for byte in digits {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return (1...maxSize).contains(value) ? value : nil
    }
}

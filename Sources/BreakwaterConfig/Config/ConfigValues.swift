import StormCore

/// The value syntaxes of `breakwater.conf`. Each parser returns the value, or what was expected
/// in words (the loader adds the key and line).
enum ConfigValues {
    typealias Parsed<T> = Result<T, ValueError>

    /// Why a value does not parse: "expected ..." text.
    struct ValueError: Error { let message: String }

    static func fail<T>(_ value: String, _ expected: String) -> Parsed<T> {
        .failure(ValueError(message: "\(LogText.quoted(value, maxBytes: 80)) is not \(expected)"))
    }

    /// A whole number within `range`. Underscores may group digits (`840_000`).
    static func integer(_ v: String, in range: ClosedRange<Int> = 1...Int.max) -> Parsed<Int> {
        let digits = v.replacingUnderscores
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let n = Int(digits) else {
            return fail(v, "a whole number")
        }
        guard range.contains(n) else {
            return .failure(ValueError(message: "\(n) is out of range (\(range.lowerBound) to "
                + (range.upperBound == Int.max ? "any" : "\(range.upperBound)") + ")"))
        }
        return .success(n)
    }

    /// A number, or `off` (also `no`, `none`) for nil.
    static func optionalInteger(_ v: String, in range: ClosedRange<Int> = 1...Int.max) -> Parsed<Int?> {
        if isOff(v) { return .success(nil) }
        switch integer(v, in: range) {
        case .success(let n): return .success(n)
        case .failure(let e):
            return .failure(ValueError(message: e.message.replacingOccurrences(of: "a whole number", with: "a whole number or off")))
        }
    }

    /// `30s`, `60m`, `6h`, `7d`, `2w` or bare seconds; at least one second.
    static func duration(_ v: String) -> Parsed<Int64> {
        let expected = "a duration (write 30s, 60m, 6h, 7d or a number of seconds)"
        var text = v.lowercased()
        var unit: Int64 = 1
        if let last = text.last, last.isLetter {
            switch last {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3_600
            case "d": unit = 86_400
            case "w": unit = 7 * 86_400
            default: return fail(v, expected)
            }
            text.removeLast()
        }
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let n = Int64(text) else {
            return fail(v, expected)
        }
        let (seconds, overflow) = n.multipliedReportingOverflow(by: unit)
        guard !overflow, seconds <= 100 * 365 * 86_400 else { return fail(v, "a duration under 100 years") }
        guard seconds >= 1 else { return fail(v, "a duration of at least 1 second") }
        return .success(seconds)
    }

    /// `50ms`, `2s` or bare milliseconds, within `range` (in milliseconds).
    static func milliseconds(_ v: String, in range: ClosedRange<Int64>) -> Parsed<Int64> {
        let expected = "a timeout (write 50ms, 2s or a number of milliseconds)"
        var text = Substring(v.lowercased())
        var unit: Int64 = 1
        if text.hasSuffix("ms") {
            text = text.dropLast(2)
        } else if text.hasSuffix("s") {
            text = text.dropLast()
            unit = 1000
        }
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let n = Int64(text) else {
            return fail(v, expected)
        }
        let (milliseconds, overflow) = n.multipliedReportingOverflow(by: unit)
        guard !overflow, range.contains(milliseconds) else {
            func shown(_ ms: Int64) -> String { ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms" }
            return fail(v, "a timeout from \(shown(range.lowerBound)) to \(shown(range.upperBound))")
        }
        return .success(milliseconds)
    }

    /// A duration, or `off` for nil.
    static func optionalDuration(_ v: String) -> Parsed<Int64?> {
        isOff(v) ? .success(nil) : duration(v).map { $0 }
    }

    /// `yes`/`no` (also `true`/`false`, `on`/`off`).
    static func boolean(_ v: String) -> Parsed<Bool> {
        switch v.lowercased() {
        case "yes", "true", "on": return .success(true)
        case "no", "false", "off": return .success(false)
        default: return fail(v, "yes or no")
        }
    }

    /// An absolute path; empty too when `emptyMeansOff` (the feature is then off).
    static func path(_ v: String, emptyMeansOff: Bool = true) -> Parsed<String> {
        (emptyMeansOff && v.isEmpty) || v.hasPrefix("/") ? .success(v) : fail(v, "an absolute path")
    }

    /// A list separated by commas and/or whitespace; empty items dropped.
    static func list(_ v: String) -> [String] {
        // why scalars: a separator followed by a combining mark is one Character with it.
        v.unicodeScalars.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }).map(String.init)
    }

    /// An octal file mode such as `0660`.
    static func fileMode(_ v: String) -> Parsed<UInt32> {
        guard !v.isEmpty, v.count <= 5, let m = UInt32(v, radix: 8), m <= 0o7777 else {
            return fail(v, "an octal file mode such as 0660")
        }
        return .success(m)
    }

    /// One of the given words.
    static func choice<T>(_ v: String, _ options: [(String, T)]) -> Parsed<T> {
        if let hit = options.first(where: { $0.0 == v.lowercased() }) { return .success(hit.1) }
        return fail(v, "one of " + options.map(\.0).joined(separator: ", "))
    }

    /// A rule's action word.
    static func action(_ v: String) -> Parsed<Action> {
        choice(v, [("tag", .tag), ("defer", .defer), ("reject", .reject), ("hold", .hold), ("trim", .trim)])
    }

    /// `[CODE [X.Y.Z]] text`: an optional SMTP code and enhanced status, then the template.
    struct ReplySpec: Equatable {
        var code: Int?
        var enhanced: String?
        var text: String?
    }

    static func reply(_ v: String) -> Parsed<ReplySpec> {
        var rest = Substring(v).trimmingBlanks
        var spec = ReplySpec()
        /// Takes the next blank-separated word off `rest` if `accept` likes it.
        func take(_ accept: (Substring) -> Bool) -> Substring? {
            // why scalars: a blank followed by a combining mark is one Character, yet ends the word.
            let scalars = rest.unicodeScalars
            let end = scalars.firstIndex { $0 == " " || $0 == "\t" } ?? scalars.endIndex
            let word = Substring(scalars[..<end])
            guard !word.isEmpty, accept(word) else { return nil }
            rest = Substring(scalars[end...]).trimmingBlanks
            return word
        }
        // why ASCII: Character.isNumber takes digits of every script ("٣"), which no SMTP reply has.
        if let first = take({ $0.count == 3 && $0.allSatisfy(\.isASCIIDigit) }) {
            guard let c = Int(first), (400...599).contains(c) else {
                return fail(String(first), "an SMTP code for a refusal (4xx or 5xx)")
            }
            spec.code = c
            if let second = take({ $0.first?.isASCIIDigit == true && $0.contains(".") }) {
                let parts = second.split(separator: ".", omittingEmptySubsequences: false)
                guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCIIDigit) }),
                      parts[0].count == 1 else {
                    return fail(String(second), "an enhanced status code such as 5.7.1")
                }
                guard Int(parts[0]) == c / 100 else {
                    return .failure(ValueError(message: "enhanced status \(second) does not match the class of code \(c) "
                        + "(write \(c / 100).\(parts[1]).\(parts[2]))"))
                }
                spec.enhanced = String(second)
            }
        }
        spec.text = rest.isEmpty ? nil : String(rest)
        if spec.code == nil && spec.text == nil { return fail(v, "a reply such as \"550 5.7.1 text\"") }
        return .success(spec)
    }

    /// True for the words that turn an optional setting off.
    static func isOff(_ v: String) -> Bool {
        ["off", "no", "none"].contains(v.lowercased())
    }
}

extension String {
    var replacingUnderscores: String { filter { $0 != "_" } }

    /// Plain replacement without Foundation.
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty, let range = firstRange(target) else { return self }
        return String(self[..<range.lowerBound]) + replacement
            + String(self[range.upperBound...]).replacingOccurrences(of: target, with: replacement)
    }

    private func firstRange(_ target: String) -> Range<Index>? {
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(target) { return i..<index(i, offsetBy: target.count) }
            i = index(after: i)
        }
        return nil
    }
}

extension Character {
    /// 0 to 9, and nothing else that Unicode calls a digit.
    var isASCIIDigit: Bool { isASCII && isNumber }
}

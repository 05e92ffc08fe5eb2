/// One `key = value` setting as written, with the line it starts on.
package struct ConfigLine: Sendable, Equatable {
    /// The key, as written.
    package var key: String
    /// The value: continuation lines joined with a space, surrounding blanks removed.
    package var value: String
    /// 1-based line where the setting starts.
    package var line: Int
}

/// Splits configuration text into settings the way Postfix reads main.cf: `#` starts a comment
/// line, blank lines are ignored, a line that starts with whitespace continues the previous
/// value. Nothing here knows any key; `ConfigLoader` gives them meaning.
package enum ConfigLines {
    package static func split(_ text: String, file: String) -> (lines: [ConfigLine], problems: [ConfigProblem]) {
        var out: [ConfigLine] = []
        var problems: [ConfigProblem] = []
        var number = 0
        // why: only a well-formed setting may be continued; after a bad line its continuation
        // lines are skipped silently (the bad line was already reported).
        enum Previous { case nothing, setting, bad }
        var previous = Previous.nothing
        // why: "\r\n" is one Character in Swift, so a CRLF file must be split on both.
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            number += 1
            var line = Substring(raw)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let body = line.trimmingBlanks
            // why scalars: `#`, a blank or `=` followed by a combining mark is one Character with
            // it, so a Character-wise test misses a comment, a continuation or the `=`.
            if body.isEmpty || body.unicodeScalars.first == "#" { continue }
            if let first = line.unicodeScalars.first, first == " " || first == "\t" {
                switch previous {
                case .setting:
                    let old = out[out.count - 1].value
                    out[out.count - 1].value = old.isEmpty ? String(body) : old + " " + body
                case .bad:
                    break
                case .nothing:
                    problems.append(ConfigProblem(file: file, line: number,
                        message: "continuation line (starts with whitespace) with no setting before it"))
                    previous = .bad
                }
                continue
            }
            guard let equals = body.unicodeScalars.firstIndex(of: "=") else {
                problems.append(ConfigProblem(file: file, line: number,
                    message: "expected \"key = value\", got \"\(LogText.cut(String(body), maxBytes: 60))\""))
                previous = .bad
                continue
            }
            let key = String(Substring(body.unicodeScalars[..<equals]).trimmingBlanks)
            let value = String(Substring(body.unicodeScalars[body.unicodeScalars.index(after: equals)...]).trimmingBlanks)
            guard !key.isEmpty else {
                problems.append(ConfigProblem(file: file, line: number, message: "missing key before \"=\""))
                previous = .bad
                continue
            }
            out.append(ConfigLine(key: key, value: value, line: number))
            previous = .setting
        }
        return (out, problems)
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs. By scalar: a blank followed by a combining
    /// mark is one Character with it, yet still a blank.
    var trimmingBlanks: Substring {
        let s = Substring(self).unicodeScalars
        guard let start = s.firstIndex(where: { $0 != " " && $0 != "\t" }) else { return Substring(s[s.endIndex...]) }
        let end = s.lastIndex(where: { $0 != " " && $0 != "\t" })!
        return Substring(s[start...end])
    }
}

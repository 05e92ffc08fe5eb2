import Glibc

/// How the admin verbs print: times in UTC, durations in words, and plain aligned tables.
package enum OperationsText {
    /// `2026-11-25 21:40Z` for seconds since the epoch.
    package static func time(_ seconds: Int64) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    /// `3d 4h`, `2h 5m`, `40s`: the two largest units.
    package static func duration(_ seconds: Int64) -> String {
        let s = max(0, seconds)
        let units: [(Int64, String)] = [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")]
        var out: [String] = []
        var rest = s
        for (size, name) in units where rest >= size || (out.isEmpty && size == 1) {
            out.append("\(rest / size)\(name)")
            rest %= size
            if out.count == 2 { break }
        }
        return out.joined(separator: " ")
    }

    /// `30s`, `10m`, `6h`, `2d`, `1w` or plain seconds; nil when it is none of them.
    package static func parseDuration(_ text: String) -> Int64? {
        var digits = text.lowercased()
        var unit: Int64 = 1
        switch digits.last {
        case "s": unit = 1
        case "m": unit = 60
        case "h": unit = 3_600
        case "d": unit = 86_400
        case "w": unit = 604_800
        default: break
        }
        if digits.last?.isLetter == true { digits.removeLast() }
        guard let n = Int64(digits), n > 0, n < Int64.max / unit else { return nil }
        return n * unit
    }

    /// Columns padded to their widest cell, two spaces apart; the first row is the heading.
    package static func table(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        var widths = [Int](repeating: 0, count: first.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// Text cut to `limit` characters with an ellipsis, for a table cell.
    package static func cell(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }
}

import StormCore
/// Times and durations as session files and the command line spell them: `+75m`, `+1h15m`,
/// `+4500` (seconds), `2016-11-14T10:20:00Z`.
public enum TimeText {
    /// Seconds in a duration such as `75m`, `1h30m`, `90s`, `2d`, `4500`; nil when malformed.
    /// Bounded to 100 years so sums of offsets cannot overflow.
    public static func duration(_ text: some StringProtocol) -> Int64? {
        guard !text.isEmpty, text.utf8.count <= 40 else { return nil }
        if let plain = Int64(text) { return (0...3_153_600_000).contains(plain) ? plain : nil }
        var total: Int64 = 0
        var number: Int64?
        for c in text {
            if let d = c.wholeNumberValue, c.isASCII {
                number = (number ?? 0) * 10 + Int64(d)
                if number! > 3_153_600_000 { return nil }
                continue
            }
            let unit: Int64
            switch c {
            case "d": unit = 86_400
            case "h": unit = 3_600
            case "m": unit = 60
            case "s": unit = 1
            default: return nil
            }
            guard let n = number else { return nil }
            total += n * unit
            number = nil
            if total > 3_153_600_000 { return nil }
        }
        return number == nil ? total : nil
    }

    /// `1h15m`, `90s` → `1m30s`, `0s`: the shortest spelling `duration` reads back.
    public static func durationText(_ seconds: Int64) -> String {
        guard seconds > 0 else { return "0s" }
        var rest = seconds
        var out = ""
        for (unit, letter) in [(Int64(86_400), "d"), (3_600, "h"), (60, "m"), (1, "s")] where rest >= unit {
            out += "\(rest / unit)\(letter)"
            rest %= unit
        }
        return out
    }

    /// Seconds since 1970 for `YYYY-MM-DDTHH:MM[:SS]Z` (UTC only); nil when malformed.
    public static func timestamp(_ text: some StringProtocol) -> Int64? {
        let u = Array(text.utf8)
        guard u.count == 17 || u.count == 20, u.last == UInt8(ascii: "Z"), u[4] == UInt8(ascii: "-"),
              u[7] == UInt8(ascii: "-"), u[10] == UInt8(ascii: "T"), u[13] == UInt8(ascii: ":") else { return nil }
        func number(_ from: Int, _ count: Int) -> Int64? {
            var v: Int64 = 0
            for b in u[from..<from + count] {
                guard b >= 0x30 && b <= 0x39 else { return nil }
                v = v * 10 + Int64(b - 0x30)
            }
            return v
        }
        guard let y = number(0, 4), let m = number(5, 2), let d = number(8, 2), let hh = number(11, 2),
              let mm = number(14, 2) else { return nil }
        var ss: Int64 = 0
        if u.count == 20 {
            guard u[16] == UInt8(ascii: ":"), let s = number(17, 2) else { return nil }
            ss = s
        }
        guard (1970...9999).contains(y), (1...12).contains(m), (1...31).contains(d), hh < 24, mm < 60, ss < 60
        else { return nil }
        // Days from the civil date (the inverse of the calendar arithmetic in StormCore.Instant).
        let yy = m <= 2 ? y - 1 : y
        let era = yy / 400
        let yoe = yy - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return days * 86_400 + hh * 3_600 + mm * 60 + ss
    }

    /// `2016-11-14T10:20:00Z` for seconds since 1970.
    public static func timestampText(_ seconds: Int64) -> String {
        Instant(seconds: seconds).iso8601(withSeconds: true)
    }
}

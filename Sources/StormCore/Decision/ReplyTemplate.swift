/// Fills a reply-text template with a thread's figures.
///
/// Values come from mail (the subject) as well as from the config, so every substituted value
/// and the result are cleaned: control characters (CR, LF, NUL, ...) become spaces, so nothing
/// can start a new SMTP reply line or a new header, and the whole is cut to `maxBytes`.
package enum ReplyTemplate {
    /// Longest text produced; a little under libmilter's 980-character line limit.
    package static let maxBytes = 900

    /// Replaces `{name}` placeholders by `values[name]`; unknown names stay as written.
    package static func render(_ template: String, _ values: [String: String]) -> String {
        render(template) { values[String($0)] }
    }

    /// Replaces `{name}` placeholders by what `value(name)` gives; nil leaves them as written.
    /// Only the placeholders the template uses are computed.
    package static func render(_ template: String, _ value: (Substring) -> String?) -> String {
        var out = ""
        out.reserveCapacity(template.utf8.count + 64)
        var rest = Substring(template)
        while let open = rest.utf8.firstIndex(of: UInt8(ascii: "{")) {
            out += rest[..<open]
            let after = rest.utf8.index(after: open)
            if let close = rest.utf8[after...].firstIndex(of: UInt8(ascii: "}")),
               let v = value(rest[after..<close]) {
                out += v
                rest = rest[rest.utf8.index(after: close)...]
            } else {
                out.append("{")
                rest = rest[after...]
            }
        }
        out += rest
        return clean(out, maxBytes: maxBytes)
    }

    /// One line of printable text: control characters to spaces, runs of spaces folded,
    /// trimmed, cut on a character boundary at `maxBytes` UTF-8 bytes.
    package static func clean(_ s: String, maxBytes: Int) -> String {
        if isClean(s, maxBytes: maxBytes) { return s }
        var out = ""
        var bytes = 0
        var lastWasSpace = true
        for ch in s.unicodeScalars {
            let isControl = ch.value < 0x20 || ch.value == 0x7f || (0x80...0x9f).contains(ch.value)
                || ch.value == 0x2028 || ch.value == 0x2029
            let c: Unicode.Scalar = isControl ? " " : ch
            if c == " " {
                if lastWasSpace { continue }
                lastWasSpace = true
            } else {
                lastWasSpace = false
            }
            let n = UTF8.width(c)
            if bytes + n > maxBytes { break }
            out.unicodeScalars.append(c)
            bytes += n
        }
        while out.hasSuffix(" ") { out.removeLast() }
        return out
    }

    /// True when `s` is already printable ASCII with single inner spaces and fits: the common
    /// case, answered from the bytes without building a new string.
    static func isClean(_ s: String, maxBytes: Int) -> Bool {
        var count = 0
        var lastWasSpace = true
        for b in s.utf8 {
            guard b >= 0x20, b < 0x7f else { return false }
            if b == 0x20 {
                if lastWasSpace { return false }
                lastWasSpace = true
            } else {
                lastWasSpace = false
            }
            count += 1
            if count > maxBytes { return false }
        }
        return !lastWasSpace || count == 0
    }
}

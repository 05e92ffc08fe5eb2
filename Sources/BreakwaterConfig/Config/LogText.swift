/// Makes text that came from mail (or a config file) safe to put in one log line.
///
/// A sender or subject is chosen by whoever sends the mail; unescaped, a CR or LF in it would
/// start a forged log line that log parsers (fail2ban, pflogsumm) believe. Control characters
/// become `\r`, `\n`, `\t` or `\xNN`, a backslash and a double quote are escaped, and the result
/// is cut on a character boundary.
package enum LogText {
    /// Longest value (in UTF-8 bytes, before escaping) a log line shows of one field.
    package static let maxFieldBytes = 200

    /// `value` escaped and cut to `maxBytes` (an ellipsis marks a cut).
    package static func escape(_ value: String, maxBytes: Int = maxFieldBytes) -> String {
        var out = ""
        var used = 0
        for scalar in value.unicodeScalars {
            let width = UTF8.width(scalar)
            if used + width > maxBytes {
                out += "..."
                break
            }
            used += width
            switch scalar.value {
            case 0x0D: out += "\\r"
            case 0x0A: out += "\\n"
            case 0x09: out += "\\t"
            case 0x5C: out += "\\\\"
            case 0x22: out += "\\\""
            case 0x00...0x1F, 0x7F, 0x80...0x9F, 0x2028, 0x2029:
                out += scalar.value <= 0xFF ? "\\x" + hex2(scalar.value) : "\\u{" + String(scalar.value, radix: 16) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `"value"`, escaped and cut: how subjects and other free text appear.
    package static func quoted(_ value: String, maxBytes: Int = maxFieldBytes) -> String {
        "\"" + escape(value, maxBytes: maxBytes) + "\""
    }

    /// Escaped and cut, for short quotes in error messages.
    package static func cut(_ value: String, maxBytes: Int) -> String { escape(value, maxBytes: maxBytes) }

    /// A last guard for a whole line: control characters escaped (backslashes left alone, as
    /// fields were escaped already), so one entry is always one line.
    package static func oneLine(_ line: String) -> String {
        guard line.unicodeScalars.contains(where: isControl) else { return line }
        var out = ""
        for scalar in line.unicodeScalars {
            switch scalar.value {
            case 0x0D: out += "\\r"
            case 0x0A: out += "\\n"
            case _ where isControl(scalar):
                out += scalar.value <= 0xFF ? "\\x" + hex2(scalar.value) : "\\u{" + String(scalar.value, radix: 16) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func isControl(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 && s.value != 0x09 || s.value == 0x7F || (0x80...0x9F).contains(s.value)
            || s.value == 0x2028 || s.value == 0x2029
    }

    private static func hex2(_ v: UInt32) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(v >> 4)], digits[Int(v & 0xF)]])
    }
}

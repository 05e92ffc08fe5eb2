/// The small lexical rules shared by the session parser and writer: which values can be
/// written as they are, and the escaped form `\"…"` for those that cannot.
enum SessionText {
    /// Longest line the parser reads; a longer one is an error, not an allocation.
    static let maxLineBytes = 1 << 20

    // why Unicode scalars, never Characters: a blank, quote, `#` or `~` followed by a combining
    // mark is one Character with it, so a Character-wise lexer misses a separator that the
    // scalar-wise one sees (a recorded address `\"` + U+0613… read back split in two). The
    // format is defined on scalars, and every syntax character is ASCII.

    static func isBlank(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" }

    /// Control characters other than tab cannot sit in a line as they are.
    static func hasControl(_ s: Substring) -> Bool {
        s.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F }
    }

    /// Whether `s` starts with the escape opener `\"`.
    static func startsEscaped(_ s: Substring) -> Bool {
        var bytes = s.utf8.makeIterator()
        return bytes.next() == UInt8(ascii: "\\") && bytes.next() == UInt8(ascii: "\"")
    }

    static func firstScalar(_ s: Substring) -> Unicode.Scalar? { s.unicodeScalars.first }
    static func lastScalar(_ s: Substring) -> Unicode.Scalar? { s.unicodeScalars.last }

    static func allBlank(_ s: Substring) -> Bool { s.unicodeScalars.allSatisfy(isBlank) }

    /// `s` without its leading blanks.
    static func dropBlanks(_ s: Substring) -> Substring { Substring(s.unicodeScalars.drop(while: isBlank)) }

    /// `s` without its trailing blanks.
    static func dropTrailingBlanks(_ s: Substring) -> Substring {
        var v = s.unicodeScalars
        while let last = v.last, isBlank(last) { v.removeLast() }
        return Substring(v)
    }

    /// The word at the start of `s` (up to the first blank) and what follows it.
    static func word(_ s: Substring) -> (word: Substring, rest: Substring) {
        let w = s.unicodeScalars.prefix { !isBlank($0) }
        return (Substring(w), Substring(s.unicodeScalars[w.endIndex...]))
    }

    // MARK: writing

    /// A rest-of-line value as written: literal when it reads back the same, else escaped.
    static func restOfLine(_ value: String) -> String {
        let s = Substring(value)
        let plain = !hasControl(s) && !startsEscaped(s) && (firstScalar(s).map { !isBlank($0) } ?? true)
            && (lastScalar(s).map { !isBlank($0) } ?? true)
        return plain ? value : escaped(value)
    }

    /// A whitespace-separated token as written.
    static func token(_ value: String) -> String {
        let s = Substring(value)
        let plain = !value.isEmpty && !hasControl(s) && !s.unicodeScalars.contains(where: isBlank)
            && !startsEscaped(s) && firstScalar(s) != "#" && !s.unicodeScalars.elementsEqual(["~"])
        return plain ? value : escaped(value)
    }

    /// `\"…"` with C-like escapes; any string survives it.
    static func escaped(_ value: String) -> String {
        var out = "\\\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    // MARK: reading

    /// Reads an escaped value starting at `text` (which begins with `\"`); returns it and
    /// what follows the closing quote, or a message saying what is wrong.
    static func unescape(_ text: Substring) -> Result<(String, Substring), SessionTextError> {
        var out = String.UnicodeScalarView()
        var i = text.unicodeScalars.index(text.unicodeScalars.startIndex, offsetBy: 2)
        let scalars = text.unicodeScalars
        while i < scalars.endIndex {
            let c = scalars[i]
            i = scalars.index(after: i)
            if c == "\"" { return .success((String(out), Substring(scalars[i...]))) }
            guard c == "\\" else {
                out.append(c)
                continue
            }
            guard i < scalars.endIndex else { break }
            let e = scalars[i]
            i = scalars.index(after: i)
            switch e {
            case "\\": out.append("\\")
            case "\"": out.append("\"")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "0": out.append("\0")
            case "x":
                let end = scalars.index(i, offsetBy: 2, limitedBy: scalars.endIndex) ?? scalars.endIndex
                guard let v = UInt8(String(String.UnicodeScalarView(scalars[i..<end])), radix: 16), v < 0x80 else {
                    return .failure(SessionTextError("\\x needs two hex digits 00-7f"))
                }
                out.append(Unicode.Scalar(v))
                i = end
            default:
                return .failure(SessionTextError("unknown escape \\\(e)"))
            }
        }
        return .failure(SessionTextError("escaped value has no closing quote"))
    }

    /// A rest-of-line value: literal (blanks trimmed), or escaped when it starts with `\"`.
    static func readRest(_ text: Substring) -> Result<String, SessionTextError> {
        let trimmed = dropBlanks(text)
        guard startsEscaped(trimmed) else { return .success(String(trimmed)) }
        switch unescape(trimmed) {
        case let .failure(e): return .failure(e)
        case let .success((value, after)):
            guard allBlank(after) else {
                return .failure(SessionTextError("text after the closing quote of an escaped value"))
            }
            return .success(value)
        }
    }

    /// Splits token arguments: blank-separated words or escaped values; ` #` starts a comment.
    static func tokens(_ text: Substring) -> Result<[String], SessionTextError> {
        tokensAndTail(text, tailMarker: false).map(\.tokens)
    }

    /// Tokens up to a lone `~` word, then the rest of the line as a value (the text an
    /// expectation looks for); with `tailMarker` false a `~` is an ordinary word.
    static func tokensAndTail(_ text: Substring, tailMarker: Bool = true)
        -> Result<(tokens: [String], tail: String?), SessionTextError> {
        var out: [String] = []
        var rest = text
        while true {
            rest = dropBlanks(rest)
            guard let first = firstScalar(rest), first != "#" else { return .success((out, nil)) }
            let afterFirst = Substring(rest.unicodeScalars.dropFirst())
            if tailMarker, first == "~", firstScalar(afterFirst).map(isBlank) ?? true {
                return readRest(afterFirst).map { (out, $0) }
            }
            if startsEscaped(rest) {
                switch unescape(rest) {
                case let .failure(e): return .failure(e)
                case let .success((value, after)):
                    guard firstScalar(after).map(isBlank) ?? true else {
                        return .failure(SessionTextError("text right after the closing quote of an escaped value"))
                    }
                    out.append(value)
                    rest = after
                }
            } else {
                let (w, after) = word(rest)
                out.append(String(w))
                rest = after
            }
        }
    }
}

/// A lexical problem, before it is given its file and line.
struct SessionTextError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// An SMTP reply a filter asked the MTA to give (`smfi_setreply`), parsed into its parts.
public struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    /// The three-digit code, 400–599.
    public var code: Int
    /// The enhanced status code (`5.7.1`), when the text starts with one.
    public var enhancedCode: String?
    /// The text after the codes (lines of a multi-line reply joined by "\n").
    public var text: String
    /// The reply exactly as sent, without the trailing NUL.
    public var raw: String

    /// Parses "550 5.7.1 text" (or a multi-line "550-5.7.1 a\r\n550 5.7.1 b").
    public init(parsing raw: String) throws(WireError) {
        let utf8 = Array(raw.utf8)
        func digit(_ i: Int) -> Int? {
            i < utf8.count && utf8[i] >= 0x30 && utf8[i] <= 0x39 ? Int(utf8[i] - 0x30) : nil
        }
        guard let d0 = digit(0), let d1 = digit(1), let d2 = digit(2), d0 == 4 || d0 == 5,
              utf8.count == 3 || utf8[3] == 0x20 || utf8[3] == 0x2D
        else { throw .malformedReplyCode(raw) }
        code = d0 * 100 + d1 * 10 + d2
        self.raw = raw
        // why: each line of a multi-line reply repeats the codes; keep only the words.
        var enhanced: String?
        var lines: [Substring] = []
        // why scalars: the reply is bytes; a blank followed by a combining mark is one Character
        // with it, so Character-wise the codes would run on into the text. "\r\n" is split as
        // before ("\r\n" is one Character, and a mark cannot join a CR or LF).
        for line in raw.split(separator: "\r\n", omittingEmptySubsequences: true) {
            var rest = line.unicodeScalars.dropFirst(4)
            if let space = rest.firstIndex(of: " ") ?? (rest.isEmpty ? nil : rest.endIndex),
               Self.isEnhancedCode(Substring(rest[..<space])) {
                enhanced = enhanced ?? String(rest[..<space])
                rest = rest[space...].drop { $0 == " " }
            }
            lines.append(Substring(rest))
        }
        enhancedCode = enhanced
        text = lines.joined(separator: "\n")
    }

    /// True for a class digit 2/4/5, then two dot-separated numbers (RFC 3463).
    private static func isEnhancedCode(_ s: Substring) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 3 && ["2", "4", "5"].contains(parts[0])
            && parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
    }

    /// The reply as an MTA would print it.
    public var description: String { raw }
}

/// A filter's answer to the MTA for a message (or, before end of message, for one step).
///
/// Codes and texts are checked and sanitised before they reach the MTA; see ``ReplyText``.
public enum Reply: Sendable, Equatable {
    /// Accept the message; skip the rest of it. Before end of message this is sent as
    /// ``continue`` instead, so that no recipient goes uncounted.
    case accept
    /// Carry on; at end of message this delivers the message with any edits made.
    case `continue`
    /// Refuse permanently. `code` must be 5xx (anything else becomes 550); `enhanced` is an
    /// RFC 3463 status such as "5.7.1" whose class is made to match; `text` holds the lines of
    /// the reply text (empty: the MTA's default text).
    case reject(code: Int, enhanced: String?, text: [String])
    /// Refuse for now. `code` must be 4xx (anything else becomes 451); otherwise as ``reject(code:enhanced:text:)``.
    case tempfail(code: Int, enhanced: String?, text: [String])
    /// Accept the message and silently throw it away.
    case discard

    /// A 5xx rejection with one line of text.
    public static func reject(_ code: Int = 550, _ enhanced: String? = "5.7.1", _ text: String) -> Reply {
        .reject(code: code, enhanced: enhanced, text: [text])
    }

    /// A 4xx temporary failure with one line of text.
    public static func tempfail(_ code: Int = 451, _ enhanced: String? = "4.7.1", _ text: String) -> Reply {
        .tempfail(code: code, enhanced: enhanced, text: [text])
    }
}

/// An SMTP reply made safe to hand to libmilter: code of the right class, a well-formed
/// enhanced status, and text lines that cannot break the protocol.
struct ReplyText: Equatable {
    /// Three digits, first digit 4 or 5.
    let code: String
    /// "x.y.z" with x equal to the code's first digit, or nil to let libmilter choose.
    let enhanced: String?
    /// One to ``maximumLines`` lines, each printable ASCII, `%` doubled, at most ``maximumLineLength``.
    let lines: [String]

    /// libmilter refuses longer lines (MAXREPLYLEN).
    static let maximumLineLength = 980
    /// The shim's fixed-arity `smfi_setmlreply` takes this many.
    static let maximumLines = 8

    /// Builds the reply for an action whose class is `permanent` (5xx) or not (4xx).
    /// Returns nil when there is no text, so the MTA's own default text is used.
    init?(permanent: Bool, code: Int, enhanced: String?, text: [String]) {
        let classDigit = permanent ? 5 : 4
        // why: a 4xx code sent with SMFIS_REJECT (or 5xx with TEMPFAIL) makes libmilter or
        // the MTA answer something nobody chose; the action decides the class.
        let validCode = code / 100 == classDigit && (code / 10) % 10 <= 5
        self.code = String(validCode ? code : (permanent ? 550 : 451))
        self.enhanced = ReplyText.enhancedStatus(enhanced, classDigit: classDigit)
        let cleaned = text.prefix(ReplyText.maximumLines).map(ReplyText.sanitiseLine)
        if cleaned.isEmpty { return nil }
        self.lines = Array(cleaned)
    }

    /// Keeps a well-formed enhanced status (forcing its class digit), drops anything else.
    static func enhancedStatus(_ raw: String?, classDigit: Int) -> String? {
        guard let raw else { return nil }
        let parts = raw.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              parts[0].count == 1, parts[0].allSatisfy(\.isASCII), parts[0].allSatisfy(\.isNumber),
              (1...3).contains(parts[1].count), parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
              (1...3).contains(parts[2].count), parts[2].allSatisfy({ $0.isASCII && $0.isNumber })
        else { return nil }
        return "\(classDigit).\(parts[1]).\(parts[2])"
    }

    /// Replaces control and non-ASCII characters with a space or `?`, doubles `%`, and cuts
    /// the line to ``maximumLineLength`` without splitting a `%%` pair.
    static func sanitiseLine(_ line: String) -> String {
        var out = ""
        var length = 0
        for scalar in line.unicodeScalars {
            let piece: String
            switch scalar.value {
            case 0x25: piece = "%%" // why: sendmail formats the text; Postfix turns %% into % and drops a lone %.
            case 0x20...0x7E: piece = String(scalar)
            case 0x00...0x1F, 0x7F: piece = " " // why: CR/LF would end the reply early.
            default: piece = "?" // why: SMTP replies are ASCII unless SMTPUTF8 was agreed.
            }
            if length + piece.count > maximumLineLength { break }
            out += piece
            length += piece.count
        }
        return out
    }
}

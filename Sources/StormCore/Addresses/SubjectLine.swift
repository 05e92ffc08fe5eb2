/// Subject lines of replies.
///
/// Prefix stripping reads only the head of the subject and normalisation stops once `maxBytes`
/// are written, so a megabyte subject costs no more than the prefixes it really carries.
package enum SubjectLine {
    /// The subject without reply/forward prefixes in common languages, repeated or counted
    /// (`Re: RE: AW: Sv: Antw: Réf: Fwd: FW: Re[2]:`, also `[list-tag] Re:`), trimmed, with runs of
    /// whitespace (including folding) folded to one space and control characters removed,
    /// cut to at most `maxBytes` UTF-8 bytes on a character boundary.
    package static func base(_ subject: String, maxBytes: Int = 200) -> String {
        guard maxBytes > 0 else { return "" }
        var rest = Substring(subject)
        while stripOne(&rest) != nil {}
        return normalized(rest, maxBytes: maxBytes)
    }

    /// True when the subject starts with a reply prefix (Re:, AW:, Sv:, Antw:, Réf:, ...).
    /// List tags before it are skipped; a forward first (`Fwd: Re:`) is a forward, not a reply.
    package static func looksLikeReply(_ subject: String) -> Bool {
        var rest = Substring(subject)
        while let kind = stripOne(&rest) {
            if kind != .listTag { return kind == .reply }
        }
        return false
    }

    /// True for Outlook's message-recall requests (subject starting `Recall:`, also with
    /// localized forms you know of, e.g. `Rückruf:`), after any reply prefixes.
    /// French `Rappel :` is left out on purpose: it is just as often an ordinary reminder.
    package static func looksLikeRecall(_ subject: String) -> Bool {
        var rest = Substring(subject)
        while stripOne(&rest) != nil {}
        guard let (word, _) = prefixWord(rest) else { return false }
        return recallWords.contains(word)
    }

    // Lower-cased. Where one word means reply in one language and forward in another (VS is
    // Finnish "vastaus" but Danish/Norwegian "videresend") it is listed as a forward, the kind
    // that never makes a message count as a reply-all.
    private static let replyWords: Set<String> = [
        "re", "aw", "antw", "antwort", "sv", "réf", "ref", "rif", "r", "res", "odp", "ynt", "vá",
        "απ", "σχετ", "回复", "回覆", "答复", "答覆", "返信", "השב",
    ]
    private static let forwardWords: Set<String> = [
        "fw", "fwd", "wg", "doorst", "vs", "vb", "vl", "tr", "rv", "enc", "i", "pd", "fs", "ilt",
        "i̇lt", "továbbítás", "πρθ", "转发", "轉寄", "转寄", "轉發", "転送", "הועבר",
    ]
    private static let recallWords: Set<String> = ["recall", "rückruf"]

    private enum Prefix { case reply, forward, listTag }

    /// Removes leading blanks and one reply/forward prefix or `[list tag]`; nil when none is left.
    private static func stripOne(_ s: inout Substring) -> Prefix? {
        s = s.drop(while: isBlankOrControl)
        if s.first == "[", let close = s.prefix(80).dropFirst().firstIndex(where: { $0 == "]" || $0 == "[" }),
           s[close] == "]" {
            s = s[s.index(after: close)...]
            return .listTag
        }
        guard let (word, rest) = prefixWord(s) else { return nil }
        let kind: Prefix
        if replyWords.contains(word) {
            kind = .reply
        } else if forwardWords.contains(word) {
            kind = .forward
        } else {
            return nil
        }
        s = rest
        return kind
    }

    /// A prefix such as `Re:`, `RE :`, `Re[2]:`, `Re(3):` or `回复：` at the start: its word,
    /// lower-cased, and what follows the colon. Words are short; a longer run is no prefix.
    private static func prefixWord(_ s: Substring) -> (String, Substring)? {
        var i = s.startIndex
        var letters = 0
        while i < s.endIndex, isLetter(s[i]), letters <= 12 {
            i = s.index(after: i)
            letters += 1
        }
        guard letters > 0, letters <= 12 else { return nil }
        var rest = s[i...].drop(while: { $0 == " " })
        if let open = rest.first, open == "[" || open == "(" {
            let digits = rest.dropFirst().prefix(while: { $0.isASCII && $0.isNumber })
            let close: Character = open == "[" ? "]" : ")"
            guard (1...4).contains(digits.count), digits.endIndex < rest.endIndex, rest[digits.endIndex] == close else {
                return nil
            }
            rest = rest[rest.index(after: digits.endIndex)...].drop(while: { $0 == " " })
        }
        guard let colon = rest.first, colon == ":" || colon == "：" else { return nil }
        return (s[..<i].lowercased(), rest.dropFirst())
    }

    private static func isBlankOrControl(_ c: Character) -> Bool {
        c.unicodeScalars.allSatisfy { isSpace($0) || isControl($0) }
    }

    /// ASCII answered directly: the Unicode property lookup costs more than the rest of `base`.
    @inline(__always)
    private static func isSpace(_ u: Unicode.Scalar) -> Bool {
        u.isASCII ? u.value == 0x20 || (0x09...0x0D).contains(u.value) : u.properties.isWhitespace
    }

    @inline(__always)
    private static func isLetter(_ c: Character) -> Bool {
        guard let a = c.asciiValue else { return c.isLetter }
        return (0x61...0x7A).contains(a | 0x20)
    }

    /// C0, DEL and C1 controls: never meant to be seen, and a log line must not carry them.
    @inline(__always)
    private static func isControl(_ u: Unicode.Scalar) -> Bool {
        u.value < 0x20 || (u.value >= 0x7F && u.value <= 0x9F)
    }

    /// Blanks folded to one space, controls dropped, cut on a character boundary.
    ///
    /// Writing stops at the first scalar past `maxBytes`: whether a character ends at or before
    /// `maxBytes` depends only on the scalars up to that one, so the cut is the same as over the
    /// whole text.
    private static func normalized(_ s: Substring, maxBytes: Int) -> String {
        // Bytes first, one String at the end: appending scalar by scalar to a String costs more.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(maxBytes, s.utf8.count) + 4)
        var pendingSpace = false
        for scalar in s.unicodeScalars {
            if isSpace(scalar) {
                pendingSpace = !bytes.isEmpty
                continue
            }
            if isControl(scalar) { continue }
            if pendingSpace {
                bytes.append(0x20)
                pendingSpace = false
            }
            if scalar.isASCII {
                bytes.append(UInt8(scalar.value))
            } else {
                UTF8.encode(scalar) { bytes.append($0) }
            }
            if bytes.count > maxBytes { break }
        }
        let out = String(decoding: bytes, as: UTF8.self)
        guard bytes.count > maxBytes else { return out }
        var used = 0
        var end = out.startIndex
        for character in out {
            let size = character.utf8.count
            if used + size > maxBytes { break }
            used += size
            end = out.index(after: end)
        }
        var cut = out[..<end]
        while cut.last == " " { cut.removeLast() }
        return String(cut)
    }
}

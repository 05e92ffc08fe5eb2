/// RFC 5322 msg-id lists (Message-ID, In-Reply-To, References).
///
/// One byte scanner serves both `ids` and `keys`, so the two can never disagree about what an
/// id is. The scanner is tolerant the way real mail needs: comments, quoted phrases, folding,
/// ids without brackets, cut headers. Every path through it is linear in the input.
package enum MessageIDParser {
    /// Longest id kept: RFC 5322 caps a line at 998 bytes, so a longer id was never sent whole.
    package static let maxIDBytes = 998

    /// The ids in a header value, in order, each without angle brackets, at most `limit` of them.
    /// When there are more than `limit`, keep the FIRST id and the LAST `limit - 1` (in a
    /// References field the first is the thread root and the last ones the nearest parents).
    package static func ids(in value: String, limit: Int = 64) -> [String] {
        guard limit > 0 else { return [] }
        return withUTF8Bytes(of: value) { bytes in
            var scanner = MessageIDScanner(bytes)
            var kept = KeepFirstAndLast<String>(limit: limit)
            while let span = scanner.next() { kept.add(span.text(in: bytes)) }
            return kept.finish()
        }
    }

    /// The same ids as stable keys (MessageKey(bytes:) over the id text), without allocating a
    /// String per id: the hot path uses this.
    package static func keys(in value: String, limit: Int = 64) -> [MessageKey] {
        guard limit > 0 else { return [] }
        return withUTF8Bytes(of: value) { bytes in
            var scanner = MessageIDScanner(bytes)
            var kept = KeepFirstAndLast<MessageKey>(limit: limit)
            while let span = scanner.next() { kept.add(span.key(in: bytes)) }
            return kept.finish()
        }
    }

    /// The first id in the value (a Message-ID field), or nil when there is none.
    package static func first(in value: String) -> String? {
        withUTF8Bytes(of: value) { bytes in
            var scanner = MessageIDScanner(bytes)
            return scanner.next()?.text(in: bytes)
        }
    }

    /// The key of the first id in the value, or nil: `first(in:)` without the String.
    package static func firstKey(in value: String) -> MessageKey? {
        withUTF8Bytes(of: value) { bytes in
            var scanner = MessageIDScanner(bytes)
            return scanner.next()?.key(in: bytes)
        }
    }
}

/// Runs `body` over the string's UTF-8 bytes in place; copies only a non-contiguous string.
@inline(__always)
func withUTF8Bytes<R>(of value: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    var text = value // a retain, not a copy: withUTF8 is mutating only to make it contiguous
    return text.withUTF8(body)
}

/// Where one id lies in the scanned bytes. Whitespace inside the brackets is not part of the id
/// (a folded `<abc\r\n @host>` is `abc@host`), so `spaces` says whether to skip some.
struct MessageIDSpan {
    var start: Int
    var end: Int
    var spaces: Int

    @inline(__always)
    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }

    func text(in bytes: UnsafeBufferPointer<UInt8>) -> String {
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<end])
        if spaces == 0 { return String(decoding: slice, as: UTF8.self) }
        return String(decoding: slice.lazy.filter { !Self.isSpace($0) }, as: UTF8.self)
    }

    func key(in bytes: UnsafeBufferPointer<UInt8>) -> MessageKey {
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<end])
        if spaces == 0 { return MessageKey(bytes: slice) }
        return MessageKey(bytes: slice.lazy.filter { !Self.isSpace($0) })
    }
}

/// Finds ids one at a time over a byte buffer.
///
/// Outside brackets, comments and quoted strings are skipped whole (a phrase such as
/// `(Alice's message of "Mon")` never yields an id). An unterminated comment or quote would
/// swallow every id after it, so the scanner then goes back to just after the opening character
/// and continues with that construct treated as plain punctuation; each construct can be turned
/// off only once, which keeps the whole scan within three passes over the input.
struct MessageIDScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var commentsOn = true
    private var quotesOn = true

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    private static let lt: UInt8 = 0x3C, gt: UInt8 = 0x3E, at: UInt8 = 0x40
    private static let openParen: UInt8 = 0x28, closeParen: UInt8 = 0x29
    private static let quote: UInt8 = 0x22, backslash: UInt8 = 0x5C, comma: UInt8 = 0x2C

    /// Bytes that end a bare (bracketless) token.
    @inline(__always)
    private static func endsToken(_ b: UInt8) -> Bool {
        MessageIDSpan.isSpace(b) || b == comma || b == lt || b == gt
            || b == openParen || b == closeParen || b == quote
    }

    mutating func next() -> MessageIDSpan? {
        let n = bytes.count
        while index < n {
            let b = bytes[index]
            switch b {
            case Self.lt:
                if let span = bracketed() { return span }
            case Self.openParen where commentsOn:
                skipComment()
            case Self.quote where quotesOn:
                skipQuoted()
            case _ where Self.endsToken(b):
                index += 1
            default:
                if let span = bareToken() { return span }
            }
        }
        return nil
    }

    /// `<...>` starting at `index`. A second `<` before the `>` means the first was junk, so the
    /// id restarts there; no `>` at all means the header was cut, and nothing is returned.
    private mutating func bracketed() -> MessageIDSpan? {
        let n = bytes.count
        var start = index + 1
        var spaces = 0
        var j = start
        while j < n {
            let c = bytes[j]
            if c == Self.gt { break }
            if c == Self.lt {
                start = j + 1
                spaces = 0
            } else if MessageIDSpan.isSpace(c) {
                spaces += 1
            }
            j += 1
        }
        guard j < n else {
            index = n
            return nil
        }
        index = j + 1
        return Self.validated(MessageIDSpan(start: start, end: j, spaces: spaces))
    }

    /// A whitespace- or comma-separated token: an id only when it looks like `left@right`.
    private mutating func bareToken() -> MessageIDSpan? {
        let n = bytes.count
        let start = index
        var hasAt = false
        var j = start
        while j < n, !Self.endsToken(bytes[j]) {
            if bytes[j] == Self.at { hasAt = true }
            j += 1
        }
        index = j
        // A lone `@` or `@host` / `name@` is a word in a phrase ("meet @ 5"), not an id.
        guard hasAt, j - start >= 3, bytes[start] != Self.at, bytes[j - 1] != Self.at else {
            return nil
        }
        return Self.validated(MessageIDSpan(start: start, end: j, spaces: 0))
    }

    private static func validated(_ span: MessageIDSpan) -> MessageIDSpan? {
        let length = span.end - span.start - span.spaces
        return length > 0 && length <= MessageIDParser.maxIDBytes ? span : nil
    }

    private mutating func skipComment() {
        let n = bytes.count
        var depth = 0
        var j = index
        while j < n {
            let c = bytes[j]
            if c == Self.backslash {
                j += 2
                continue
            }
            if c == Self.openParen {
                depth += 1
            } else if c == Self.closeParen {
                depth -= 1
                if depth == 0 {
                    index = j + 1
                    return
                }
            }
            j += 1
        }
        commentsOn = false
        index += 1
    }

    private mutating func skipQuoted() {
        let n = bytes.count
        var j = index + 1
        while j < n {
            let c = bytes[j]
            if c == Self.backslash {
                j += 2
                continue
            }
            if c == Self.quote {
                index = j + 1
                return
            }
            j += 1
        }
        quotesOn = false
        index += 1
    }
}

/// Keeps the first element and the last `limit - 1` of a stream, in stream order, in one array
/// of at most `limit` elements: the tail is a ring over `items[1...]`, unrolled at the end.
struct KeepFirstAndLast<Element> {
    private var items: [Element] = []
    private let limit: Int
    private var next = 1 // ring position of the oldest tail element once full

    init(limit: Int) {
        self.limit = limit
    }

    @inline(__always)
    mutating func add(_ element: Element) {
        if items.count < limit {
            items.append(element)
            return
        }
        guard limit > 1 else { return }
        items[next] = element
        next = next == limit - 1 ? 1 : next + 1
    }

    mutating func finish() -> [Element] {
        if items.count == limit, limit > 2, next != 1 {
            // Rotate items[1...] so the oldest tail element (at `next`) comes first.
            items[1..<next].reverse()
            items[next...].reverse()
            items[1...].reverse()
        }
        return items
    }
}

/// How an admin (or `exempt_threads`) names a thread: by its 16 hex digits, as the log's
/// `thread=` shows it, or by any Message-ID in it, with or without angle brackets.
package struct ThreadName: Sendable {
    /// The key the name spells when it is 16 hex digits; nil otherwise.
    package let hexKey: MessageKey?
    /// The key of the name read as a Message-ID.
    package let messageKey: MessageKey

    package init(_ id: String) {
        let trimmed = id.trimmingSpaces
        hexKey = trimmed.utf8.count == 16 ? UInt64(trimmed, radix: 16).map(MessageKey.init(rawValue:)) : nil
        messageKey = MessageKey(MessageIDParser.first(in: trimmed) ?? trimmed)
    }
}

import CMilter

/// The edits a handler may make at end of message. Each edit reaches the MTA at once.
///
/// Valid only during ``MilterHandler/endOfMessage(editor:macros:)``; it cannot be stored.
/// Every edit needs its action declared in ``MilterConfiguration/actions``.
public struct MessageEditor: ~Copyable {
    let context: OpaquePointer?
    let actions: FilterActions

    init(_ context: OpaquePointer?, actions: FilterActions) {
        self.context = context
        self.actions = actions
    }

    /// Appends the header field `name: value`. The name must be printable ASCII without
    /// `:` or spaces (else the edit is refused); line breaks and control characters in the
    /// value become spaces, so a value can never inject a second header.
    public func addHeader(_ name: String, _ value: String) throws(MilterError) {
        try require(.addHeaders, .addHeader)
        guard HeaderText.isValidName(name) else {
            throw .invalidEdit("header name \"\(HeaderText.sanitiseValue(name))\" is not printable ASCII without ':' or spaces")
        }
        try call("smfi_addheader", name, HeaderText.sanitiseValue(value)) { smfi_addheader($0, $1, $2) }
    }

    /// Removes the envelope recipient `raw`, spelled exactly as the MTA sent it
    /// (for example `<all@example.org>` from Postfix's smtpd).
    public func deleteRecipient(_ raw: String) throws(MilterError) {
        try require(.deleteRecipients, .deleteRecipient)
        try HeaderText.refuseControlCharacters(raw, what: "recipient")
        try call("smfi_delrcpt", raw) { smfi_delrcpt($0, $1) }
    }

    /// Adds the envelope recipient `address` (with or without angle brackets).
    public func addRecipient(_ address: String) throws(MilterError) {
        try require(.addRecipients, .addRecipient)
        try HeaderText.refuseControlCharacters(address, what: "recipient")
        guard !address.isEmpty else { throw .invalidEdit("empty recipient address") }
        try call("smfi_addrcpt", address) { smfi_addrcpt($0, $1) }
    }

    /// Sends the message to the MTA's hold queue with `reason` (Postfix: `postsuper -H`
    /// releases it). Control characters in the reason become spaces.
    public func quarantine(reason: String) throws(MilterError) {
        try require(.quarantine, .quarantine)
        let cleaned = HeaderText.sanitiseValue(reason)
        // why: libmilter refuses an empty reason.
        try call("smfi_quarantine", cleaned.isEmpty ? "quarantined" : cleaned) { smfi_quarantine($0, $1) }
    }

    private func require(_ action: FilterActions, _ name: FilterActionName) throws(MilterError) {
        guard actions.contains(action) else { throw .actionNotNegotiated(name) }
    }

    private func call(
        _ function: String, _ argument: String,
        _ body: (OpaquePointer?, UnsafeMutablePointer<CChar>) -> Int32
    ) throws(MilterError) {
        let status = argument.withCString { body(context, UnsafeMutablePointer(mutating: $0)) }
        guard status == MI_SUCCESS else { throw .editFailed(function) }
    }

    private func call(
        _ function: String, _ first: String, _ second: String,
        _ body: (OpaquePointer?, UnsafeMutablePointer<CChar>, UnsafeMutablePointer<CChar>) -> Int32
    ) throws(MilterError) {
        let status = first.withCString { a in
            second.withCString { b in
                body(context, UnsafeMutablePointer(mutating: a), UnsafeMutablePointer(mutating: b))
            }
        }
        guard status == MI_SUCCESS else { throw .editFailed(function) }
    }
}

/// Rules that keep header fields and envelope addresses from breaking the message.
enum HeaderText {
    /// RFC 5322 field name: printable ASCII except `:` (and no space).
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { $0 >= 33 && $0 <= 126 && $0 != UInt8(ascii: ":") }
    }

    /// Replaces CR, LF and other control characters (tab kept) with a space, so a value
    /// can never end its own header line.
    static func sanitiseValue(_ value: String) -> String {
        String(String.UnicodeScalarView(value.unicodeScalars.map { scalar in
            let v = scalar.value
            return (v < 0x20 && v != 0x09) || v == 0x7F ? " " : scalar
        }))
    }

    /// Envelope addresses never contain control characters; one that does is an attack or a bug.
    static func refuseControlCharacters(_ text: String, what: String) throws(MilterError) {
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw .invalidEdit("\(what) contains a control character")
        }
    }
}

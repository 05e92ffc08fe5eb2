/// What a filter does with one SMTP connection. The daemon implements it; the Milter module
/// makes one instance per connection through the factory given to ``Milter/run(_:makeHandler:)``.
///
/// Calls for one connection never overlap, but they may arrive on different threads
/// (libmilter's worker pool), so keep per-connection state in the instance and shared state
/// behind a lock. A connection may carry several messages: after ``endOfMessage(editor:macros:)``
/// or ``abort()``, the next ``mailFrom(args:macros:)`` starts a new one.
///
/// Steps before end of message are only called if listed in ``MilterConfiguration/steps``, and
/// their reply is only sent if listed in ``MilterConfiguration/answeredSteps``; otherwise it is
/// ignored. `.accept` before end of message is sent as `.continue`, so no recipient goes uncounted.
public protocol MilterHandler: AnyObject {
    /// The SMTP client connected. `address` is the IPv4 or IPv6 address as text
    /// (an IPv4-mapped IPv6 address is given as IPv4); nil for unix or unknown families.
    func connect(hostname: String, address: String?, macros: borrowing Macros) -> Reply
    /// The client sent HELO or EHLO with `name`.
    func helo(_ name: String, macros: borrowing Macros) -> Reply
    /// MAIL FROM: `args[0]` is the sender as sent (often `<a@b>`), the rest ESMTP parameters.
    func mailFrom(args: [String], macros: borrowing Macros) -> Reply
    /// RCPT TO: `args[0]` is the recipient as sent, the rest ESMTP parameters.
    func recipient(args: [String], macros: borrowing Macros) -> Reply
    /// One header field, in message order; `value` without the leading space, folded lines as sent.
    func header(name: String, value: String) -> Reply
    /// All header fields have been seen.
    func endOfHeaders(macros: borrowing Macros) -> Reply
    /// The message is complete: edit it through `editor` and return the verdict.
    func endOfMessage(editor: borrowing MessageEditor, macros: borrowing Macros) -> Reply
    /// The current message was abandoned (RSET, client gone); forget it, keep the connection.
    func abort()
    /// The connection ended; the instance is released after this.
    func close()
}

/// Defaults so a handler writes only the steps it cares about.
extension MilterHandler {
    /// Does nothing and continues.
    public func connect(hostname: String, address: String?, macros: borrowing Macros) -> Reply { .continue }
    /// Does nothing and continues.
    public func helo(_ name: String, macros: borrowing Macros) -> Reply { .continue }
    /// Does nothing and continues.
    public func mailFrom(args: [String], macros: borrowing Macros) -> Reply { .continue }
    /// Does nothing and continues.
    public func recipient(args: [String], macros: borrowing Macros) -> Reply { .continue }
    /// Does nothing and continues.
    public func header(name: String, value: String) -> Reply { .continue }
    /// Does nothing and continues.
    public func endOfHeaders(macros: borrowing Macros) -> Reply { .continue }
    /// Does nothing.
    public func abort() {}
    /// Does nothing.
    public func close() {}
}

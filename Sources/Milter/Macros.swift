import CMilter

/// The stages at which an MTA sends macros; used to ask for a macro list per stage.
public enum MacroStage: Int32, Sendable, Hashable, CaseIterable {
    /// Sent with the connection.
    case connect = 0        // SMFIM_CONNECT
    /// Sent with HELO/EHLO.
    case helo = 1           // SMFIM_HELO
    /// Sent with MAIL FROM.
    case mailFrom = 2       // SMFIM_ENVFROM
    /// Sent with each RCPT TO.
    case recipient = 3      // SMFIM_ENVRCPT
    /// Sent with DATA.
    case data = 4           // SMFIM_DATA
    /// Sent at end of message.
    case endOfMessage = 5   // SMFIM_EOM
    /// Sent at end of headers.
    case endOfHeaders = 6   // SMFIM_EOH
}

/// Read access to the macros the MTA sent so far on this connection
/// (`i`, `j`, `{auth_authen}`, `{rcpt_addr}`, `{mail_addr}`, `{daemon_name}`, …).
///
/// Valid only during the callback it was passed to: it cannot be copied or stored, because
/// libmilter's context must not be touched after the callback returns.
public struct Macros: ~Copyable {
    // why: internal so no caller above this module sees libmilter's context pointer.
    let context: OpaquePointer?

    init(_ context: OpaquePointer?) { self.context = context }

    /// The value of macro `name`, or nil if the MTA did not send it. Names of more than one
    /// character may be written with or without braces: `auth_authen` or `{auth_authen}`.
    public subscript(_ name: String) -> String? {
        guard let context else { return nil }
        let symbol = Macros.canonicalName(name)
        return symbol.withCString { cName -> String? in
            guard let value = smfi_getsymval(context, UnsafeMutablePointer(mutating: cName)) else { return nil }
            return String(cString: value)
        }
    }

    /// `i` stays `i`; `auth_authen` becomes `{auth_authen}`, the form MTAs send.
    static func canonicalName(_ name: String) -> String {
        if name.count <= 1 || (name.hasPrefix("{") && name.hasSuffix("}")) { return name }
        return "{\(name)}"
    }

    /// The space-separated list `smfi_setsymlist` expects.
    static func symbolList(_ names: [String]) -> String {
        names.map(canonicalName).joined(separator: " ")
    }
}

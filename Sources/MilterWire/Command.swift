/// A command the MTA sends to a filter (the first byte of every MTA frame).
///
/// Named once here, in words, with the C name from `<libmilter/mfdef.h>` beside each, so the
/// rest of the module reads in words and a reader can still grep the C spelling.
public enum Command: UInt8, Sendable, CaseIterable {
    /// Abort the current message; the filter keeps the connection. No reply.
    case abort = 0x41              // 'A' SMFIC_ABORT
    /// One chunk of the message body.
    case body = 0x42               // 'B' SMFIC_BODY
    /// Connection information: hostname, family, port, address.
    case connect = 0x43            // 'C' SMFIC_CONNECT
    /// Macro definitions for the command named in the first payload byte. No reply.
    case macro = 0x44              // 'D' SMFIC_MACRO
    /// End of body (end of message): the filter answers with modifications and a verdict.
    case endOfBody = 0x45          // 'E' SMFIC_BODYEOB
    /// HELO/EHLO argument.
    case helo = 0x48               // 'H' SMFIC_HELO
    /// QUIT, but a new connection follows on the same socket. No reply.
    case quitNewConnection = 0x4B  // 'K' SMFIC_QUIT_NC
    /// One header: name NUL value NUL.
    case header = 0x4C             // 'L' SMFIC_HEADER
    /// MAIL FROM: sender NUL, then ESMTP arguments each NUL-terminated.
    case mail = 0x4D               // 'M' SMFIC_MAIL
    /// End of headers.
    case endOfHeaders = 0x4E       // 'N' SMFIC_EOH
    /// Option negotiation: version, actions, protocol flags.
    case optionNegotiation = 0x4F  // 'O' SMFIC_OPTNEG
    /// QUIT: the session ends. No reply.
    case quit = 0x51               // 'Q' SMFIC_QUIT
    /// RCPT TO: recipient NUL, then ESMTP arguments each NUL-terminated.
    case rcpt = 0x52               // 'R' SMFIC_RCPT
    /// DATA.
    case data = 0x54               // 'T' SMFIC_DATA
    /// An SMTP command the MTA did not recognise.
    case unknown = 0x55            // 'U' SMFIC_UNKNOWN
}

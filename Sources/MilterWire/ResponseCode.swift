/// The first byte of every frame a filter sends back to the MTA.
///
/// Named once here with the C name from `<libmilter/mfdef.h>` beside each.
public enum ResponseCode: UInt8, Sendable, CaseIterable {
    /// Add a recipient.
    case addRecipient = 0x2B             // '+' SMFIR_ADDRCPT
    /// Delete a recipient.
    case deleteRecipient = 0x2D          // '-' SMFIR_DELRCPT
    /// Add a recipient with ESMTP arguments.
    case addRecipientWithArguments = 0x32 // '2' SMFIR_ADDRCPT_PAR
    /// 421: the filter is shutting down (internal to the MTA).
    case shutdown = 0x34                 // '4' SMFIR_SHUTDOWN
    /// The option negotiation answer (same byte as the MTA's command).
    case optionNegotiation = 0x4F        // 'O' SMFIC_OPTNEG
    /// Accept: stop filtering this message (or connection) and deliver.
    case accept = 0x61                   // 'a' SMFIR_ACCEPT
    /// Replace the body (one chunk; several frames concatenate).
    case replaceBody = 0x62              // 'b' SMFIR_REPLBODY
    /// Continue with the next step.
    case `continue` = 0x63               // 'c' SMFIR_CONTINUE
    /// Accept but silently drop the message.
    case discard = 0x64                  // 'd' SMFIR_DISCARD
    /// Change the envelope sender.
    case changeSender = 0x65             // 'e' SMFIR_CHGFROM
    /// Cause a connection failure.
    case connectionFailure = 0x66        // 'f' SMFIR_CONN_FAIL
    /// Append a header.
    case addHeader = 0x68                // 'h' SMFIR_ADDHEADER
    /// Insert a header at an index.
    case insertHeader = 0x69             // 'i' SMFIR_INSHEADER
    /// Set the list of macros wanted at one stage.
    case setMacroList = 0x6C             // 'l' SMFIR_SETSYMLIST
    /// Change (or, with an empty value, delete) the index-th header of a name.
    case changeHeader = 0x6D             // 'm' SMFIR_CHGHEADER
    /// Progress: the filter is still working; restart the MTA's timer.
    case progress = 0x70                 // 'p' SMFIR_PROGRESS
    /// Quarantine the message with a reason.
    case quarantine = 0x71               // 'q' SMFIR_QUARANTINE
    /// Reject (5xx with the MTA's default text).
    case reject = 0x72                   // 'r' SMFIR_REJECT
    /// Skip the rest of the body chunks.
    case skip = 0x73                     // 's' SMFIR_SKIP
    /// Temporary failure (4xx with the MTA's default text).
    case tempfail = 0x74                 // 't' SMFIR_TEMPFAIL
    /// An explicit SMTP reply: "550 5.7.1 text" NUL.
    case replyCode = 0x79                // 'y' SMFIR_REPLYCODE
}

import CMilter

/// The modifications a filter may ask the MTA to make at end of message.
///
/// Each bit is declared to the MTA during negotiation; a modification that was not
/// declared (or that the MTA did not offer) fails with ``MilterError/actionNotNegotiated(_:)``.
public struct FilterActions: OptionSet, Sendable, Hashable {
    /// The raw `SMFIF_*` bit mask.
    public let rawValue: UInt

    /// Creates a set from raw `SMFIF_*` bits.
    public init(rawValue: UInt) { self.rawValue = rawValue }

    /// Add header fields.
    public static let addHeaders = FilterActions(rawValue: 1 << 0)       // SMFIF_ADDHDRS
    /// Replace the body.
    public static let changeBody = FilterActions(rawValue: 1 << 1)       // SMFIF_CHGBODY
    /// Add envelope recipients.
    public static let addRecipients = FilterActions(rawValue: 1 << 2)    // SMFIF_ADDRCPT
    /// Delete envelope recipients.
    public static let deleteRecipients = FilterActions(rawValue: 1 << 3) // SMFIF_DELRCPT
    /// Change or delete header fields.
    public static let changeHeaders = FilterActions(rawValue: 1 << 4)    // SMFIF_CHGHDRS
    /// Send the message to the MTA's hold queue.
    public static let quarantine = FilterActions(rawValue: 1 << 5)       // SMFIF_QUARANTINE
    /// Change the envelope sender.
    public static let changeSender = FilterActions(rawValue: 1 << 6)     // SMFIF_CHGFROM
    /// Add recipients with ESMTP parameters.
    public static let addRecipientsWithParameters = FilterActions(rawValue: 1 << 7) // SMFIF_ADDRCPT_PAR
    /// Choose which macros the MTA sends at each stage.
    public static let setMacroList = FilterActions(rawValue: 1 << 8)     // SMFIF_SETSYMLIST
}

/// The per-message steps at which the MTA can call a filter before end of message.
///
/// Used twice in ``MilterConfiguration``: which steps the handler wants to hear about at all,
/// and which of those it wants to answer. A step heard but not answered is negotiated as
/// "no reply", which saves a round trip per command (the biggest throughput lever).
public struct FilterSteps: OptionSet, Sendable, Hashable {
    /// A private bit mask (not the SMFIP_* values; those live in `ProtocolFlags`).
    public let rawValue: UInt8

    /// Creates a set from its raw bits.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The SMTP connection (client host name and address).
    public static let connect = FilterSteps(rawValue: 1 << 0)
    /// HELO/EHLO.
    public static let helo = FilterSteps(rawValue: 1 << 1)
    /// MAIL FROM.
    public static let mailFrom = FilterSteps(rawValue: 1 << 2)
    /// Each RCPT TO.
    public static let recipient = FilterSteps(rawValue: 1 << 3)
    /// Each header field.
    public static let header = FilterSteps(rawValue: 1 << 4)
    /// The end of the header block.
    public static let endOfHeaders = FilterSteps(rawValue: 1 << 5)

    /// Every step above.
    public static let all: FilterSteps = [.connect, .helo, .mailFrom, .recipient, .header, .endOfHeaders]
}

/// The `SMFIP_*` protocol bits this module negotiates, named once.
struct ProtocolFlags: OptionSet, Hashable {
    let rawValue: UInt

    static let noConnect = ProtocolFlags(rawValue: 0x0000_0001)      // SMFIP_NOCONNECT
    static let noHelo = ProtocolFlags(rawValue: 0x0000_0002)         // SMFIP_NOHELO
    static let noMail = ProtocolFlags(rawValue: 0x0000_0004)         // SMFIP_NOMAIL
    static let noRecipient = ProtocolFlags(rawValue: 0x0000_0008)    // SMFIP_NORCPT
    static let noBody = ProtocolFlags(rawValue: 0x0000_0010)         // SMFIP_NOBODY
    static let noHeaders = ProtocolFlags(rawValue: 0x0000_0020)      // SMFIP_NOHDRS
    static let noEndOfHeaders = ProtocolFlags(rawValue: 0x0000_0040) // SMFIP_NOEOH
    static let noReplyHeader = ProtocolFlags(rawValue: 0x0000_0080)  // SMFIP_NR_HDR
    static let noUnknown = ProtocolFlags(rawValue: 0x0000_0100)      // SMFIP_NOUNKNOWN
    static let noData = ProtocolFlags(rawValue: 0x0000_0200)         // SMFIP_NODATA
    static let noReplyConnect = ProtocolFlags(rawValue: 0x0000_1000) // SMFIP_NR_CONN
    static let noReplyHelo = ProtocolFlags(rawValue: 0x0000_2000)    // SMFIP_NR_HELO
    static let noReplyMail = ProtocolFlags(rawValue: 0x0000_4000)    // SMFIP_NR_MAIL
    static let noReplyRecipient = ProtocolFlags(rawValue: 0x0000_8000) // SMFIP_NR_RCPT
    static let noReplyEndOfHeaders = ProtocolFlags(rawValue: 0x0004_0000) // SMFIP_NR_EOH
}

/// The `SMFIS_*` answers a callback gives libmilter, named once.
enum CallbackStatus: Int32 {
    case proceed = 0   // SMFIS_CONTINUE
    case reject = 1    // SMFIS_REJECT
    case discard = 2   // SMFIS_DISCARD
    case accept = 3    // SMFIS_ACCEPT
    case tempfail = 4  // SMFIS_TEMPFAIL
    case noReply = 7   // SMFIS_NOREPLY
    case allOptions = 10 // SMFIS_ALL_OPTS
}

// why: the bits above are typed by hand so a reader sees them in words; a unit test calls
// this to prove they still match the installed headers.
func checkConstantsMatchHeaders() -> Bool {
    FilterActions.addHeaders.rawValue == UInt(SMFIF_ADDHDRS)
        && FilterActions.setMacroList.rawValue == UInt(SMFIF_SETSYMLIST)
        && FilterActions.quarantine.rawValue == UInt(SMFIF_QUARANTINE)
        && ProtocolFlags.noReplyEndOfHeaders.rawValue == UInt(SMFIP_NR_EOH)
        && ProtocolFlags.noReplyRecipient.rawValue == UInt(SMFIP_NR_RCPT)
        && ProtocolFlags.noData.rawValue == UInt(SMFIP_NODATA)
        && CallbackStatus.noReply.rawValue == SMFIS_NOREPLY
        && CallbackStatus.allOptions.rawValue == SMFIS_ALL_OPTS
}

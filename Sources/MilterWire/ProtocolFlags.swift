/// Protocol options negotiated at start: which steps the MTA leaves out (`no…`), which steps
/// the filter does not answer (`noReply…`), and a few extras. Values from `<libmilter/mfdef.h>`.
public struct ProtocolFlags: OptionSet, Sendable, Hashable {
    /// The raw bit mask as sent on the wire.
    public let rawValue: UInt32
    /// Wraps a raw bit mask.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Do not send connection information.
    public static let noConnect = ProtocolFlags(rawValue: 0x0000_0001)          // SMFIP_NOCONNECT
    /// Do not send HELO.
    public static let noHelo = ProtocolFlags(rawValue: 0x0000_0002)             // SMFIP_NOHELO
    /// Do not send MAIL FROM.
    public static let noMail = ProtocolFlags(rawValue: 0x0000_0004)             // SMFIP_NOMAIL
    /// Do not send RCPT TO.
    public static let noRcpt = ProtocolFlags(rawValue: 0x0000_0008)             // SMFIP_NORCPT
    /// Do not send the body.
    public static let noBody = ProtocolFlags(rawValue: 0x0000_0010)             // SMFIP_NOBODY
    /// Do not send headers.
    public static let noHeaders = ProtocolFlags(rawValue: 0x0000_0020)         // SMFIP_NOHDRS
    /// Do not send end of headers.
    public static let noEndOfHeaders = ProtocolFlags(rawValue: 0x0000_0040)    // SMFIP_NOEOH
    /// No reply for each header.
    public static let noReplyHeader = ProtocolFlags(rawValue: 0x0000_0080)     // SMFIP_NR_HDR
    /// Do not send unknown SMTP commands.
    public static let noUnknown = ProtocolFlags(rawValue: 0x0000_0100)         // SMFIP_NOUNKNOWN
    /// Do not send DATA.
    public static let noData = ProtocolFlags(rawValue: 0x0000_0200)            // SMFIP_NODATA
    /// The MTA understands "skip" (stop sending body chunks).
    public static let skip = ProtocolFlags(rawValue: 0x0000_0400)              // SMFIP_SKIP
    /// The MTA also sends recipients it rejected itself.
    public static let rejectedRecipients = ProtocolFlags(rawValue: 0x0000_0800) // SMFIP_RCPT_REJ
    /// No reply for connect.
    public static let noReplyConnect = ProtocolFlags(rawValue: 0x0000_1000)    // SMFIP_NR_CONN
    /// No reply for HELO.
    public static let noReplyHelo = ProtocolFlags(rawValue: 0x0000_2000)       // SMFIP_NR_HELO
    /// No reply for MAIL FROM.
    public static let noReplyMail = ProtocolFlags(rawValue: 0x0000_4000)       // SMFIP_NR_MAIL
    /// No reply for RCPT TO.
    public static let noReplyRcpt = ProtocolFlags(rawValue: 0x0000_8000)       // SMFIP_NR_RCPT
    /// No reply for DATA.
    public static let noReplyData = ProtocolFlags(rawValue: 0x0001_0000)       // SMFIP_NR_DATA
    /// No reply for unknown commands.
    public static let noReplyUnknown = ProtocolFlags(rawValue: 0x0002_0000)    // SMFIP_NR_UNKN
    /// No reply for end of headers.
    public static let noReplyEndOfHeaders = ProtocolFlags(rawValue: 0x0004_0000) // SMFIP_NR_EOH
    /// No reply for body chunks.
    public static let noReplyBody = ProtocolFlags(rawValue: 0x0008_0000)       // SMFIP_NR_BODY
    /// Header values keep their leading space.
    public static let headerLeadingSpace = ProtocolFlags(rawValue: 0x0010_0000) // SMFIP_HDR_LEADSPC
    /// Frames of up to 256 KiB.
    public static let maxDataSize256K = ProtocolFlags(rawValue: 0x1000_0000)   // SMFIP_MDS_256K
    /// Frames of up to 1 MiB.
    public static let maxDataSize1M = ProtocolFlags(rawValue: 0x2000_0000)     // SMFIP_MDS_1M

    /// Every protocol bit of version 6: what an MTA like Postfix offers.
    public static let all = ProtocolFlags(rawValue: 0x001F_FFFF)               // SMFI_CURR_PROT
}

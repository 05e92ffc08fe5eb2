/// What a filter may change in a message, offered by the MTA and chosen by the filter at
/// option negotiation. The C names come from `<libmilter/mfapi.h>`.
public struct FilterActions: OptionSet, Sendable, Hashable {
    /// The raw bit mask as sent on the wire.
    public let rawValue: UInt32
    /// Wraps a raw bit mask.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// May add headers.
    public static let addHeaders = FilterActions(rawValue: 0x001)                // SMFIF_ADDHDRS
    /// May replace the body.
    public static let changeBody = FilterActions(rawValue: 0x002)                // SMFIF_CHGBODY
    /// May add recipients.
    public static let addRecipients = FilterActions(rawValue: 0x004)             // SMFIF_ADDRCPT
    /// May delete recipients.
    public static let deleteRecipients = FilterActions(rawValue: 0x008)          // SMFIF_DELRCPT
    /// May change or delete headers.
    public static let changeHeaders = FilterActions(rawValue: 0x010)             // SMFIF_CHGHDRS
    /// May quarantine the message.
    public static let quarantine = FilterActions(rawValue: 0x020)                // SMFIF_QUARANTINE
    /// May change the envelope sender.
    public static let changeSender = FilterActions(rawValue: 0x040)              // SMFIF_CHGFROM
    /// May add recipients with ESMTP arguments.
    public static let addRecipientsWithArguments = FilterActions(rawValue: 0x080) // SMFIF_ADDRCPT_PAR
    /// May choose which macros it is sent at each stage.
    public static let setMacroList = FilterActions(rawValue: 0x100)              // SMFIF_SETSYMLIST

    /// Every action of protocol version 6: what an MTA like Postfix offers.
    public static let all = FilterActions(rawValue: 0x1FF)                       // SMFI_CURR_ACTS
}

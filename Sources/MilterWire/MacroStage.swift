/// A protocol stage at which the MTA may send macros, numbered as in the filter's macro
/// lists (`smfi_setsymlist`). Values from `<libmilter/mfapi.h>`.
public enum MacroStage: UInt32, Sendable, CaseIterable, Hashable {
    /// Before connect.
    case connect = 0        // SMFIM_CONNECT
    /// Before HELO.
    case helo = 1           // SMFIM_HELO
    /// Before MAIL FROM.
    case mail = 2           // SMFIM_ENVFROM
    /// Before each RCPT TO.
    case rcpt = 3           // SMFIM_ENVRCPT
    /// Before DATA.
    case data = 4           // SMFIM_DATA
    /// Before end of message.
    case endOfMessage = 5   // SMFIM_EOM
    /// Before end of headers.
    case endOfHeaders = 6   // SMFIM_EOH

    /// The command whose macros these are (the first byte of a macro frame).
    public var command: Command {
        switch self {
        case .connect: .connect
        case .helo: .helo
        case .mail: .mail
        case .rcpt: .rcpt
        case .data: .data
        case .endOfMessage: .endOfBody
        case .endOfHeaders: .endOfHeaders
        }
    }
}

/// Everything ``Milter/run(_:makeHandler:)`` needs besides the handler factory.
public struct MilterConfiguration: Sendable {
    /// 1 MiB - 1: the SMFIP_MDS_1M size, the largest libmilter negotiates.
    public static let largestCommandBytes = (1 << 20) - 1

    /// The filter's name, as libmilter logs it.
    public var name: String
    /// Where to listen.
    public var listen: ListenAddress
    /// The modifications the handler may make at end of message. Only these are requested
    /// from the MTA (and only those it offers are granted).
    public var actions: FilterActions
    /// The steps before end of message the handler wants to hear; the MTA is asked not to
    /// send the others.
    public var steps: FilterSteps
    /// The steps whose reply the handler wants sent; every other step is negotiated as
    /// "no reply" where the MTA allows it, saving a round trip per command.
    public var answeredSteps: FilterSteps
    /// Macros to ask for at each stage (replaces the MTA's default list for that stage).
    /// Names as in ``Macros``: `i`, `auth_authen` or `{auth_authen}`.
    public var macros: [MacroStage: [String]]
    /// Seconds libmilter waits on a silent MTA before dropping the connection.
    public var timeout: Int
    /// The largest command libmilter accepts, in bytes (`smfi_setmaxdatasize`). libmilter's own
    /// default is 64 KiB - 1: a longer header makes it drop the connection, and the MTA then
    /// applies its default action to the message instead of the filter's verdict. Postfix 3.7
    /// cuts headers to about 60 KB before a milter sees them (measured), but other MTAs and
    /// test clients need not. The default, 1 MiB - 1, is the largest size the protocol names
    /// (SMFIP_MDS_1M); it bounds what one connection can make libmilter buffer.
    public var maxCommandBytes: Int
    /// File mode of a unix socket.
    public var socketMode: UInt32
    /// Group to give a unix socket, if that group exists (Postfix needs `postfix`).
    public var socketGroup: String?
    /// Receives start-up notices that are not fatal (missing group, TCP_NODELAY not set).
    public var notice: @Sendable (String) -> Void

    /// A configuration with safe defaults: every step heard, none answered, no actions,
    /// libmilter's default timeout (7210 s), socket mode 0660, no group change.
    public init(
        name: String = "breakwater",
        listen: ListenAddress,
        actions: FilterActions = [],
        steps: FilterSteps = .all,
        answeredSteps: FilterSteps = [],
        macros: [MacroStage: [String]] = [:],
        timeout: Int = 7210,
        maxCommandBytes: Int = MilterConfiguration.largestCommandBytes,
        socketMode: UInt32 = 0o660,
        socketGroup: String? = nil,
        notice: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.name = name
        self.listen = listen
        self.actions = actions
        self.steps = steps
        self.answeredSteps = answeredSteps
        self.macros = macros
        self.timeout = timeout
        self.maxCommandBytes = maxCommandBytes
        self.socketMode = socketMode
        self.socketGroup = socketGroup
        self.notice = notice
    }
}

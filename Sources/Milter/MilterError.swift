/// Something the Milter module could not do, with a message a person can act on.
public enum MilterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The listen address could not be understood.
    case badListenAddress(String, reason: String)
    /// ``Milter/run(_:makeHandler:)`` was called a second time; libmilter allows one registration per process.
    case alreadyStarted
    /// A libmilter start-up call failed.
    case startFailed(step: String, detail: String)
    /// `smfi_main` ended with a failure.
    case mainLoopFailed
    /// The stop signals could not be blocked.
    case signalMaskFailed(errno: Int32)
    /// A message edit needs an action that was not negotiated with the MTA.
    case actionNotNegotiated(FilterActionName)
    /// A message edit was refused before reaching libmilter because its input was unsafe.
    case invalidEdit(String)
    /// libmilter refused a message edit.
    case editFailed(String)

    /// A human-readable explanation.
    public var description: String {
        switch self {
        case let .badListenAddress(spec, reason):
            return "listen address \"\(spec)\": \(reason)"
        case .alreadyStarted:
            return "the milter was already started in this process (libmilter allows one registration)"
        case let .startFailed(step, detail):
            return "could not start the milter: \(step) failed: \(detail)"
        case .mainLoopFailed:
            return "libmilter's main loop failed (see syslog for libmilter's reason)"
        case let .signalMaskFailed(code):
            return "could not block SIGHUP/SIGTERM/SIGINT (error \(code))"
        case let .actionNotNegotiated(action):
            return "cannot \(action.rawValue): the action was not agreed with the MTA "
                + "(declare it in MilterConfiguration.actions, and check that the MTA offers it)"
        case let .invalidEdit(reason):
            return "refused message edit: \(reason)"
        case let .editFailed(call):
            return "the MTA refused the message edit (\(call) failed)"
        }
    }
}

/// Names an action in ``MilterError/actionNotNegotiated(_:)``.
public enum FilterActionName: String, Sendable, Equatable {
    /// ``FilterActions/addHeaders``.
    case addHeader = "add a header"
    /// ``FilterActions/addRecipients``.
    case addRecipient = "add a recipient"
    /// ``FilterActions/deleteRecipients``.
    case deleteRecipient = "delete a recipient"
    /// ``FilterActions/quarantine``.
    case quarantine = "quarantine the message"
}

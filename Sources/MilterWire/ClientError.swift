/// Why a conversation with a filter failed. Every case names what was being waited for or
/// done, so a log line says which step of which message broke.
public enum ClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The socket spelling could not be read.
    case invalidEndpoint(String, reason: String)
    /// The socket could not be opened or connected (errno).
    case connectFailed(endpoint: String, errno: Int32)
    /// A read or write failed (errno).
    case io(operation: String, errno: Int32)
    /// The filter said nothing for the configured timeout.
    case timeout(awaiting: String, after: Duration)
    /// The filter closed the connection between frames.
    case connectionClosed(awaiting: String)
    /// The filter sent bytes that are not a valid frame or response.
    case wire(WireError)
    /// A valid response that makes no sense at this step.
    case unexpectedResponse(FilterResponse, awaiting: String)
    /// A step was called in a state that does not allow it.
    case outOfOrder(step: String, state: String)
    /// The filter's negotiation answer cannot be honoured.
    case negotiationRefused(String)

    /// A sentence a person can act on.
    public var description: String {
        switch self {
        case let .invalidEndpoint(spec, reason): "milter socket \"\(spec)\": \(reason)"
        case let .connectFailed(endpoint, code): "cannot connect to \(endpoint): \(Errno.text(code))"
        case let .io(operation, code): "milter \(operation) failed: \(Errno.text(code))"
        case let .timeout(awaiting, after): "milter gave no answer to \(awaiting) within \(after)"
        case let .connectionClosed(awaiting): "milter closed the connection while awaiting \(awaiting)"
        case let .wire(error): error.description
        case let .unexpectedResponse(response, awaiting): "milter answered \(awaiting) with \(response)"
        case let .outOfOrder(step, state): "\(step) is not allowed in state \(state)"
        case let .negotiationRefused(reason): "milter negotiation refused: \(reason)"
        }
    }
}

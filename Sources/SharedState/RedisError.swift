/// What went wrong talking to Redis, in words, and whether the connection can still be used.
///
/// hiredis marks a context broken after any I/O or protocol failure (a timeout included: the late
/// answer would be read as the next command's); such a connection must be closed and a new one
/// opened. A server's error reply (`ERR …`, `NOSCRIPT …`) leaves it usable.
package struct RedisError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The sort of failure, for callers that react differently to each.
    package enum Kind: Sendable, Hashable {
        /// No connection could be made (refused, no such socket, name not resolved, unreachable).
        case connectFailed
        /// The server did not answer (or accept the connection) within the timeout.
        case timeout
        /// The server refused the password, or wants one and none was given.
        case authenticationFailed
        /// The peer does not speak Redis's protocol.
        case protocolError
        /// The server answered with an error (its text is in the message).
        case serverError
        /// The server closed the connection (it stopped, or dropped this client).
        case connectionClosed
        /// Any other failure to read or write.
        case io
    }

    /// The sort of failure.
    package let kind: Kind
    /// What happened, naming the server (never a password).
    package let message: String
    /// True when the connection must be closed and reopened; false after a server error reply.
    package let connectionIsUnusable: Bool

    /// Makes an error; `message` names the server and what happened.
    package init(_ kind: Kind, _ message: String, connectionIsUnusable: Bool) {
        self.init(kind, message, connectionIsUnusable: connectionIsUnusable, serverText: nil)
    }

    /// The message, and when the connection is lost, that it is.
    package var description: String {
        connectionIsUnusable ? "\(message) (connection unusable: open a new one)" : message
    }

    /// The server's error text as it starts: `NOSCRIPT`, `NOAUTH`, `WRONGPASS`, `ERR` (nil for
    /// failures that are not server errors).
    package var serverErrorCode: String? {
        guard kind == .serverError || kind == .authenticationFailed, let text = serverText else { return nil }
        return text.split(separator: " ", maxSplits: 1).first.map(String.init)
    }

    /// The server's own error text, kept apart from our words around it.
    let serverText: String?

    init(_ kind: Kind, _ message: String, connectionIsUnusable: Bool, serverText: String?) {
        self.kind = kind
        self.message = message
        self.connectionIsUnusable = connectionIsUnusable
        self.serverText = serverText
    }
}

/// A Lua script run with `EVALSHA`; a connection loads it with `SCRIPT LOAD` at first use.
package struct RedisScript: Sendable, Hashable {
    /// The Lua source.
    package let source: String
    /// The source's hash, taken once: a connection finds the SHA1 of a loaded script by it.
    /// why: hashing the kilobytes of Lua on every call cost ~2 µs a script run.
    let fingerprint: Int

    /// A script from its Lua source.
    package init(_ source: String) {
        self.source = source
        self.fingerprint = source.hashValue
    }
}

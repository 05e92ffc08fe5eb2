/// Where a filter listens: a unix socket or a TCP host and port.
public enum MilterEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// A unix-domain socket path.
    case unix(path: String)
    /// A TCP host name or address, and port.
    case inet(host: String, port: UInt16)

    /// Parses every spelling in use: `unix:/path`, `local:/path`, a bare `/path`,
    /// Postfix's `inet:host:port` (`inet:[::1]:8891`) and libmilter's `inet:port@host`
    /// (also `inet6:`).
    public init(parsing spec: String) throws(ClientError) {
        if spec.hasPrefix("/") {
            self = .unix(path: spec)
            return
        }
        guard let colon = spec.firstIndex(of: ":") else {
            throw .invalidEndpoint(spec, reason: "expected unix:/path or inet:host:port")
        }
        let scheme = spec[..<colon].lowercased()
        let rest = String(spec[spec.index(after: colon)...])
        switch scheme {
        case "unix", "local":
            guard !rest.isEmpty else { throw .invalidEndpoint(spec, reason: "empty socket path") }
            self = .unix(path: rest)
        case "inet", "inet6", "tcp":
            let host: Substring
            let portText: Substring
            if let at = rest.firstIndex(of: "@") {
                portText = rest[..<at]                    // libmilter: port@host
                host = rest[rest.index(after: at)...]
            } else if let last = rest.lastIndex(of: ":") {
                host = rest[..<last]                      // Postfix: host:port
                portText = rest[rest.index(after: last)...]
            } else {
                throw .invalidEndpoint(spec, reason: "expected host:port or port@host")
            }
            guard let port = UInt16(portText), port > 0 else {
                throw .invalidEndpoint(spec, reason: "port \"\(portText)\" is not 1-65535")
            }
            // why: Postfix brackets IPv6 literals; getaddrinfo wants them bare.
            let bare = host.hasPrefix("[") && host.hasSuffix("]") ? host.dropFirst().dropLast() : host
            self = .inet(host: bare.isEmpty ? "127.0.0.1" : String(bare), port: port)
        default:
            throw .invalidEndpoint(spec, reason: "unknown socket type \"\(scheme)\"")
        }
    }

    /// Postfix spelling: `unix:/path` or `inet:host:port`.
    public var description: String {
        switch self {
        case let .unix(path): "unix:\(path)"
        case let .inet(host, port): host.contains(":") ? "inet:[\(host)]:\(port)" : "inet:\(host):\(port)"
        }
    }
}

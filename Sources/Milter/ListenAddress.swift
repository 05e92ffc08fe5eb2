/// Where the milter listens, parsed from either Postfix or libmilter spelling.
///
/// Accepted: `unix:/path`, `local:/path`, `/path`, `inet:HOST:PORT`, `inet:[IPV6]:PORT`
/// (Postfix), `inet:PORT@HOST`, `inet:PORT`, `inet6:PORT@HOST`, `inet6:PORT@[HOST]` (libmilter).
public enum ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// A unix-domain socket at this path.
    case unix(path: String)
    /// A TCP socket on IPv4 (`host` nil: every address).
    case inet(host: String?, port: UInt16)
    /// A TCP socket on IPv6 (`host` nil: every address).
    case inet6(host: String?, port: UInt16)

    /// Parses `spec`, throwing an error that names what is wrong.
    public init(parsing spec: String) throws(MilterError) {
        func fail(_ reason: String) -> MilterError { .badListenAddress(spec, reason: reason) }
        let trimmed = spec.trimmingSpaces
        guard !trimmed.isEmpty else { throw fail("empty (write unix:/path or inet:HOST:PORT)") }
        if trimmed.hasPrefix("/") { self = .unix(path: trimmed); return }
        guard let colon = trimmed.firstIndex(of: ":") else {
            throw fail("no kind prefix (write unix:/path, inet:HOST:PORT or inet:PORT@HOST)")
        }
        let kind = trimmed[..<colon].lowercased()
        let rest = String(trimmed[trimmed.index(after: colon)...])
        switch kind {
        case "unix", "local":
            guard !rest.isEmpty else { throw fail("missing socket path after \"\(kind):\"") }
            guard !rest.contains("\0") else { throw fail("socket path contains a NUL byte") }
            self = .unix(path: rest)
        case "inet", "inet6":
            let (host, portText) = try ListenAddress.splitHostPort(rest, fail: fail)
            guard let port = UInt16(portText), port != 0 else {
                // why: "inet:127.0.0.1" reads as a port-only address whose port is the host.
                if host == nil && portText.contains(where: { !$0.isNumber }) {
                    throw fail("missing port (write inet:HOST:PORT or inet:PORT@HOST)")
                }
                throw fail("port \"\(portText)\" is not a number from 1 to 65535")
            }
            if let host, host.isEmpty { throw fail("empty host (leave it out to listen on every address)") }
            let isIPv6 = kind == "inet6" || (host?.contains(":") ?? false)
            self = isIPv6 ? .inet6(host: host, port: port) : .inet(host: host, port: port)
        default:
            throw fail("unknown kind \"\(kind)\" (use unix:, local:, inet: or inet6:)")
        }
    }

    /// Splits `PORT@HOST`, `HOST:PORT`, `[V6]:PORT` or `PORT`; brackets are removed from hosts.
    private static func splitHostPort(
        _ rest: String, fail: (String) -> MilterError
    ) throws(MilterError) -> (host: String?, port: String) {
        if let at = rest.firstIndex(of: "@") {
            return (unbracket(String(rest[rest.index(after: at)...])), String(rest[..<at]))
        }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            let after = rest[rest.index(after: close)...]
            guard after.hasPrefix(":") else { throw fail("expected \":PORT\" after \"]\"") }
            return (String(rest[rest.index(after: rest.startIndex)..<close]), String(after.dropFirst()))
        }
        guard let lastColon = rest.lastIndex(of: ":") else {
            guard !rest.isEmpty else { throw fail("missing port") }
            return (nil, rest)
        }
        let host = String(rest[..<lastColon])
        if host.contains(":") { throw fail("IPv6 host needs brackets: inet:[\(host)]:PORT or inet6:PORT@\(host)") }
        return (host, String(rest[rest.index(after: lastColon)...]))
    }

    private static func unbracket(_ host: String) -> String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }

    /// The spelling `smfi_setconn` expects, e.g. `inet:8894@127.0.0.1` or `local:/path`.
    public var libmilterSpec: String {
        switch self {
        case let .unix(path): return "local:\(path)"
        case let .inet(host, port): return host.map { "inet:\(port)@\($0)" } ?? "inet:\(port)"
        case let .inet6(host, port): return host.map { "inet6:\(port)@\($0)" } ?? "inet6:\(port)"
        }
    }

    /// The Postfix spelling, for `smtpd_milters`, e.g. `inet:127.0.0.1:8894` or `unix:/path`.
    public var description: String {
        switch self {
        case let .unix(path): return "unix:\(path)"
        case let .inet(host, port): return "inet:\(host ?? "0.0.0.0"):\(port)"
        case let .inet6(host, port): return "inet:[\(host ?? "::")]:\(port)"
        }
    }
}

extension String {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}

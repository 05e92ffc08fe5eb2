import Glibc

/// Where the shared state lives: the value of `shared_state` in breakwater.conf, either
/// `redis://HOST[:PORT][/DB]` (HOST a name, an IPv4 address or a bracketed IPv6 address; PORT
/// 6379 and DB 0 when left out) or `unix:/PATH` (a Redis/Valkey unix socket).
package enum SharedStateAddress: Sendable, Hashable, CustomStringConvertible {
    /// A server over TCP; `host` is without brackets (`::1`, not `[::1]`).
    case tcp(host: String, port: UInt16, database: Int)
    /// A server on a unix socket (database 0).
    case unix(path: String)

    /// Redis's own port, used when the value names none.
    package static let defaultPort: UInt16 = 6379

    /// The database `SELECT`ed after connecting.
    package var database: Int {
        switch self {
        case let .tcp(_, _, database): return database
        case .unix: return 0
        }
    }

    /// The address in the spelling it was parsed from (a canonical one: port always written).
    package var description: String {
        switch self {
        case let .tcp(host, port, database):
            let shownHost = host.contains(":") ? "[\(host)]" : host
            return "redis://\(shownHost):\(port)" + (database == 0 ? "" : "/\(database)")
        case let .unix(path):
            return "unix:\(path)"
        }
    }

    /// Parses a `shared_state` value; the error says what is wrong in words an admin can act on.
    package init(parsing value: String) throws(SharedStateAddressError) {
        if value.hasPrefix("unix:") {
            self = try Self.parseUnix(value)
        } else if value.lowercased().hasPrefix("redis://") {
            self = try Self.parseRedis(value)
        } else if value.lowercased().hasPrefix("rediss://") {
            throw SharedStateAddressError(value, "TLS (rediss://) is not supported by Debian's hiredis 0.14; reach the server through a tunnel")
        } else if value.isEmpty {
            throw SharedStateAddressError(value, "the value is empty")
        } else {
            throw SharedStateAddressError(value, "unknown scheme")
        }
    }

    private static func parseUnix(_ value: String) throws(SharedStateAddressError) -> SharedStateAddress {
        let path = String(value.dropFirst("unix:".count))
        guard path.hasPrefix("/") else {
            throw SharedStateAddressError(value, "the socket path must be absolute")
        }
        guard !path.utf8.contains(0) else { throw SharedStateAddressError(value, "the socket path holds a NUL byte") }
        // why 107: sun_path holds 108 bytes with the terminating NUL.
        guard path.utf8.count <= 107 else {
            throw SharedStateAddressError(value, "the socket path is longer than 107 bytes")
        }
        return .unix(path: path)
    }

    private static func parseRedis(_ value: String) throws(SharedStateAddressError) -> SharedStateAddress {
        var rest = Substring(value.dropFirst("redis://".count))
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let text = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !text.isEmpty {
                guard text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber), let number = Int32(text) else {
                    throw SharedStateAddressError(value, "database \"\(text)\" is not a number from 0 to \(Int32.max)")
                }
                database = Int(number)
            }
        }
        if rest.contains("@") {
            // why a masked value: what precedes the @ is most likely a password.
            throw SharedStateAddressError(masked: value, "a user or password does not belong in the address; put it in shared_state_password_file")
        }
        if rest.contains("?") || rest.contains("#") {
            throw SharedStateAddressError(value, "options (?…) are not supported")
        }
        let host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else {
                throw SharedStateAddressError(value, "an IPv6 address needs its closing \"]\"")
            }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw SharedStateAddressError(value, "unexpected \"\(after)\" after the IPv6 address") }
                portText = after.dropFirst()
            }
            guard isIPv6(String(host)) else { throw SharedStateAddressError(value, "\"\(host)\" is not an IPv6 address") }
        } else {
            guard rest.filter({ $0 == ":" }).count <= 1 else {
                throw SharedStateAddressError(value, "write an IPv6 address in brackets: redis://[::1]:6379")
            }
            let parts = rest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            host = parts[0]
            if parts.count == 2 { portText = parts[1] }
            try checkHostName(host, in: value)
        }
        var port = defaultPort
        if let portText {
            guard !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }), let number = UInt16(portText), number > 0 else {
                throw SharedStateAddressError(value, "port \"\(portText)\" is not a number from 1 to 65535")
            }
            port = number
        }
        return .tcp(host: String(host), port: port, database: database)
    }

    private static func checkHostName(_ host: Substring, in value: String) throws(SharedStateAddressError) {
        guard !host.isEmpty else { throw SharedStateAddressError(value, "the host is missing") }
        if host.allSatisfy({ $0 == "." || ($0.isASCII && $0.isNumber) }) {
            guard isIPv4(String(host)) else { throw SharedStateAddressError(value, "\"\(host)\" is not an IPv4 address") }
            return
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        let valid = host.utf8.count <= 253 && labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
        guard valid else { throw SharedStateAddressError(value, "\"\(host)\" is not a host name") }
    }

    private static func isIPv4(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    private static func isIPv6(_ text: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1
    }
}

/// A `shared_state` value that cannot be used, with what is wrong and what is expected.
package struct SharedStateAddressError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The value as it may be shown (a part that may hold a password is masked).
    package let value: String
    /// What is wrong with it.
    package let reason: String

    init(_ value: String, _ reason: String) {
        self.value = value
        self.reason = reason
    }

    init(masked value: String, _ reason: String) {
        // why: `redis://user:secret@host` must not put the secret in logs or check-config output.
        let shown: String
        if let at = value.lastIndex(of: "@") {
            shown = "redis://…" + value[at...]
        } else {
            shown = "redis://…"
        }
        self.init(shown, reason)
    }

    /// For example `shared_state: "redis://mx:0": port "0" is not a number from 1 to 65535;
    /// expected redis://HOST:PORT[/DB] or unix:/PATH`.
    package var description: String {
        "shared_state: " + detail
    }

    /// The description without the key, for a `file:line: KEY: …` problem: the value quoted (and
    /// escaped, as every value a problem repeats), what is wrong, and what is expected.
    package var detail: String {
        "\(LogText.quoted(value, maxBytes: 160)): \(reason); expected redis://HOST:PORT[/DB] or unix:/PATH"
    }
}

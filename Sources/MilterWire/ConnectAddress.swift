/// Where the SMTP client connected from, as carried by the connect command.
public enum ConnectAddress: Sendable, Equatable {
    /// Family unknown: only the hostname is sent.
    case unknown
    /// A local (unix-domain) socket path.
    case unix(path: String)
    /// An IPv4 address in dotted form and a port.
    case inet(address: String, port: UInt16)
    /// An IPv6 address in text form and a port.
    case inet6(address: String, port: UInt16)

    /// The family byte on the wire.
    var family: UInt8 {
        switch self {
        case .unknown: 0x55  // 'U' SMFIA_UNKNOWN
        case .unix: 0x4C     // 'L' SMFIA_UNIX
        case .inet: 0x34     // '4' SMFIA_INET
        case .inet6: 0x36    // '6' SMFIA_INET6
        }
    }
}

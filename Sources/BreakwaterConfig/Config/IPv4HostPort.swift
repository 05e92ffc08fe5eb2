package import Glibc

/// `127.0.0.1:9894`: the IPv4 `host:port` spelling of `metrics_listen` and `notify_relay`, read
/// once here for the loader and for the daemon that binds or connects to it.
package enum IPv4HostPort {
    /// The address and port, or nil when `text` is not an IPv4 address, a colon and a port 1-65535.
    package static func parse(_ text: String) -> (in_addr, UInt16)? {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]), port > 0 else { return nil }
        var addr = in_addr()
        guard inet_pton(AF_INET, String(text[..<colon]), &addr) == 1 else { return nil }
        return (addr, port)
    }
}

import Glibc

/// Client sockets to this machine: a unix socket path, or a port on 127.0.0.1. What every test
/// helper that talks to a daemon, a milter or Postfix by hand starts from.
public enum LocalSocket {
    /// A connection that could not be made, with the errno of the failing call.
    public struct Failure: Error, CustomStringConvertible {
        public let errno: Int32
        public let description: String
    }

    /// A socket connected to the unix socket `path`; `nonBlocking` makes a full listen backlog
    /// fail at once (EAGAIN) instead of blocking.
    public static func connect(unixPath path: String, nonBlocking: Bool = false) throws(Failure) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw Failure(errno: ENAMETOOLONG, description: "connect \(path): path too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let type = Int32(SOCK_STREAM.rawValue) | (nonBlocking ? Int32(SOCK_NONBLOCK.rawValue) : 0)
        return try connect(AF_UNIX, type, to: &address, what: path)
    }

    /// A socket connected to 127.0.0.1:`port`; with `receiveTimeout` (seconds), reads that wait
    /// longer fail (EAGAIN) instead of blocking for ever.
    public static func connect(loopbackPort port: UInt16, receiveTimeout: Int? = nil) throws(Failure) -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let fd = try connect(AF_INET, Int32(SOCK_STREAM.rawValue), to: &address, what: "127.0.0.1:\(port)")
        if let receiveTimeout {
            var timeout = timeval(tv_sec: receiveTimeout, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
        return fd
    }

    private static func connect<Address>(_ family: Int32, _ type: Int32, to address: inout Address,
                                         what: String) throws(Failure) -> Int32 {
        let fd = socket(family, type, 0)
        guard fd >= 0 else { throw Failure(errno: errno, description: "socket for \(what): errno \(errno)") }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<Address>.size)) == 0
            }
        }
        guard connected else {
            let failure = Failure(errno: errno, description: "connect \(what): errno \(errno)")
            close(fd)
            throw failure
        }
        return fd
    }
}

import Glibc

/// The few POSIX socket steps the control socket and the metrics endpoint share. Errors are
/// the OS's own words (`strerror`), so a message can say exactly what went wrong.
enum SocketIO {
    /// A socket step that failed: what was tried, and the OS's reason.
    struct Failure: Error, CustomStringConvertible {
        let step: String
        let reason: String
        var description: String { "\(step): \(reason)" }
        static func errno(_ step: String) -> Failure { Failure(step: step, reason: String(cString: strerror(Glibc.errno))) }
    }

    /// A unix socket address for `path`; nil when the path does not fit `sun_path`.
    static func unixAddress(_ path: String) -> sockaddr_un? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        return address
    }

    /// Connects to the unix socket at `path`.
    static func connectUnix(_ path: String) -> Result<Int32, Failure> {
        guard var address = unixAddress(path) else { return .failure(Failure(step: "connect", reason: "path too long")) }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(.errno("socket")) }
        let ok = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
        guard ok else {
            let failure = Failure.errno("connect")
            close(fd)
            return .failure(failure)
        }
        return .success(fd)
    }

    /// Gives reads and writes on `fd` a deadline, so a silent peer cannot hold a server thread.
    static func setTimeout(_ fd: Int32, seconds: Int) {
        var tv = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Reads until `stop` says the bytes so far are complete, the peer closes, or `limit` bytes
    /// have arrived. nil on a read error (a timeout included) or when the limit was passed.
    static func read(_ fd: Int32, limit: Int, until stop: ([UInt8]) -> Bool) -> [UInt8]? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !stop(bytes) {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { break }
            bytes += chunk[0..<n]
            if bytes.count > limit { return nil }
        }
        return bytes
    }

    /// Writes every byte; false when the peer went away or the write timed out.
    @discardableResult
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// Waits until `fd` can accept or `wake` is written; false when it is time to stop.
    static func waitForConnection(_ fd: Int32, wake: Int32) -> Bool {
        while true {
            var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, -1)
            if ready < 0 && errno == EINTR { continue }
            if ready < 0 || fds[1].revents != 0 { return false }
            if fds[0].revents != 0 { return true }
        }
    }
}

/// A listening socket served one connection at a time on its own POSIX thread; `stop` wakes it.
final class SocketLoop: Sendable {
    let fd: Int32
    private let thread = StoppableThread()

    init(listening fd: Int32) { self.fd = fd }

    /// Starts serving: `serve` gets each accepted connection and must not close it.
    func start(_ serve: @escaping @Sendable (Int32) -> Void) -> Bool {
        let (listener, wakeRead) = (fd, thread.wakeFD)
        return thread.start {
            while SocketIO.waitForConnection(listener, wake: wakeRead) {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { continue }
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                // why: every peer gets a deadline, so one stuck client delays others at most that long.
                SocketIO.setTimeout(client, seconds: 5)
                serve(client)
                close(client)
            }
        }
    }

    /// Stops the loop (after the connection in hand), waits for it, closes the socket.
    func stop() {
        thread.stop()
        close(fd)
    }
}

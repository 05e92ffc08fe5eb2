import Glibc

/// One blocking stream socket to a filter: connect with a deadline, write everything, read
/// with `poll` so that a silent filter becomes a timeout and never a hang.
final class SocketConnection {
    let fd: Int32
    let timeout: Duration
    private var scratch = [UInt8](repeating: 0, count: 64 * 1024)

    /// Adopts an already connected socket; it is closed when this object goes.
    init(adopting fd: Int32, timeout: Duration) {
        self.fd = fd
        self.timeout = timeout
        // why: a filter that stops reading would otherwise block a large write for ever.
        var tv = timeval(tv_sec: Int(timeout.components.seconds),
                         tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Ends both directions now, so the filter sees end of stream even if the object lives on.
    func shutdown() { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }

    static func open(_ endpoint: MilterEndpoint, timeout: Duration) throws(ClientError) -> SocketConnection {
        switch endpoint {
        case let .unix(path):
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw .connectFailed(endpoint: endpoint.description, errno: errno) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let pathBytes = Array(path.utf8)
            guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
                close(fd)
                throw .invalidEndpoint(endpoint.description, reason: "socket path too long")
            }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                raw.copyBytes(from: pathBytes)
            }
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard result == 0 else {
                let code = errno
                close(fd)
                throw .connectFailed(endpoint: endpoint.description, errno: code)
            }
            return SocketConnection(adopting: fd, timeout: timeout)
        case let .inet(host, port):
            return try openInet(host: host, port: port, endpoint: endpoint.description, timeout: timeout)
        }
    }

    private static func openInet(host: String, port: UInt16, endpoint: String,
                                 timeout: Duration) throws(ClientError) -> SocketConnection {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw .invalidEndpoint(endpoint, reason: "cannot resolve \"\(host)\"")
        }
        defer { freeaddrinfo(list) }
        var lastError: Int32 = ECONNREFUSED
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let info = node {
            node = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue),
                            info.pointee.ai_protocol)
            guard fd >= 0 else { lastError = errno; continue }
            // why: connect without blocking so an unreachable host obeys the timeout too.
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            var ok = connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0
            if !ok && errno == EINPROGRESS {
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                if poll(&pfd, 1, Int32(clamping: timeout.roundedUpMilliseconds)) == 1 {
                    var soError: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
                    ok = soError == 0
                    lastError = soError
                } else {
                    lastError = ETIMEDOUT
                }
            } else if !ok {
                lastError = errno
            }
            guard ok else { close(fd); continue }
            _ = fcntl(fd, F_SETFL, flags)
            // why: the filter's replies are tiny; Nagle would hold each one for a delayed ACK.
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            return SocketConnection(adopting: fd, timeout: timeout)
        }
        throw .connectFailed(endpoint: endpoint, errno: lastError)
    }

    /// Writes every byte, or throws; `step` names what the bytes were for.
    func write(_ bytes: [UInt8], for step: String) throws(ClientError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                offset += n
            } else if n < 0 && errno == EINTR {
                continue
            } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                throw .timeout(awaiting: "write of \(step)", after: timeout)
            } else if n < 0 && (errno == EPIPE || errno == ECONNRESET) {
                throw .connectionClosed(awaiting: step)
            } else {
                throw .io(operation: "write", errno: errno)
            }
        }
    }

    /// Waits until bytes arrive (or the deadline passes) and hands them to the decoder.
    func read(into decoder: inout FrameDecoder, until deadline: ContinuousClock.Instant,
              timeout: Duration, awaiting step: String) throws(ClientError) {
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { throw .timeout(awaiting: step, after: timeout) }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(clamping: max(1, remaining.roundedUpMilliseconds)))
            if ready < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "poll", errno: errno)
            }
            if ready == 0 { continue }  // why: loop re-checks the deadline with fresh time
            let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                scratch.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
                return
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno != ECONNRESET { throw .io(operation: "read", errno: errno) }
            do { try decoder.finish() } catch { throw .wire(error) }
            throw .connectionClosed(awaiting: step)
        }
    }
}

extension Duration {
    /// Whole milliseconds, rounded up so a short wait never becomes a busy zero.
    var roundedUpMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    }
}

/// Error numbers as words.
enum Errno {
    static func text(_ code: Int32) -> String {
        guard let message = strerror(code) else { return "errno \(code)" }
        return String(cString: message) + " (errno \(code))"
    }
}

import Foundation
import Glibc

/// A loopback TCP listener that is not Redis: it answers every connection with `greeting`
/// (garbage to a Redis client), or, with no greeting, never accepts at all (the kernel still
/// completes the handshake, so a client connects and then waits for an answer that never comes).
public final class NotRedisServer {
    /// The port it listens on.
    public let port: UInt16
    private let listener: Int32
    private let answers: Bool

    /// Listens on a free loopback port with room for `backlog` connections not yet accepted.
    public init(greeting: String?, backlog: Int32 = 16) throws {
        let (fd, port) = try TestEnvironment.boundLoopbackSocket()
        guard listen(fd, backlog) == 0 else {
            close(fd)
            throw ChildProcess.SpawnError(description: "cannot listen on a loopback port: errno \(errno)")
        }
        listener = fd
        self.port = port
        answers = greeting != nil
        guard let greeting else { return }
        let bytes = Array(greeting.utf8)
        Thread.detachNewThread {
            while true {
                let client = accept(fd, nil, nil)
                guard client >= 0 else {
                    // why here and not in deinit: closed there, the descriptor number could be
                    // reused by another test's listener while this thread still accepts on it.
                    close(fd)
                    return
                }
                _ = bytes.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                // why a drain: the client must read the garbage, not a reset, and closes first.
                var sink = [UInt8](repeating: 0, count: 512)
                while sink.withUnsafeMutableBytes({ recv(client, $0.baseAddress, $0.count, 0) }) > 0 {}
                close(client)
            }
        }
    }

    /// Fills a `backlog: 0` listener's accept queue with one connection of our own, so that the
    /// kernel drops the next connection's SYN and that connect waits. Returns the socket to close.
    public func fillAcceptQueue() throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        // why a bounded poll: the filler itself must be established (queued) before the test connects.
        var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        var failure: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard poll(&ready, 1, 2_000) == 1, getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length) == 0, failure == 0 else {
            close(fd)
            throw ChildProcess.SpawnError(description: "could not fill the accept queue of port \(port)")
        }
        return fd
    }

    deinit {
        if answers {
            shutdown(listener, Int32(SHUT_RDWR))  // ends the accepting thread, which closes it
        } else {
            close(listener)
        }
    }
}

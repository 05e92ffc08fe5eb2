import BreakwaterConfig
import Glibc
import StormCore

/// The Prometheus endpoint: a minimal HTTP/1.0 responder on a TCP address (loopback unless the
/// admin names another). `GET /metrics` answers the text exposition; anything else is a 404.
/// One request per connection, bounded in size and time, served by one thread of its own.
final class MetricsServer: Sendable {
    /// `127.0.0.1:9894` as configured.
    let address: String
    private let loop: SocketLoop
    private let render: @Sendable () -> [UInt8]
    /// Longest request head read; a scraper's GET is a few hundred bytes.
    static let maxRequestBytes = 8 << 10

    /// Binds `address` (`host:port`, IPv4). `render` makes the body for each scrape.
    init(address: String, render: @escaping @Sendable () -> [UInt8]) throws(SocketIO.Failure) {
        guard let (host, port) = IPv4HostPort.parse(address) else {
            throw SocketIO.Failure(step: "metrics_listen \(address)", reason: "not an IPv4 host:port")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .errno("socket") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        sin.sin_addr = host
        let bound = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard bound, listen(fd, 16) == 0 else {
            let failure = SocketIO.Failure.errno("metrics_listen \(address)")
            close(fd)
            throw failure
        }
        self.address = address
        self.render = render
        loop = SocketLoop(listening: fd)
    }

    func start() -> Bool { loop.start { [self] in serve($0) } }
    func stop() { loop.stop() }

    private func serve(_ fd: Int32) {
        let end: [UInt8] = Array("\r\n\r\n".utf8), bareEnd: [UInt8] = Array("\n\n".utf8)
        guard let head = SocketIO.read(fd, limit: Self.maxRequestBytes, until: {
            $0.count >= 4 && (Array($0.suffix(4)) == end || Array($0.suffix(2)) == bareEnd)
        }) else {
            SocketIO.writeAll(fd, Self.response(status: "400 Bad Request", body: Array("bad request\n".utf8)))
            return
        }
        let requestLine = String(decoding: head.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let parts = requestLine.split(separator: " ")
        // why: scrapers may add a query string (`?name[]=...`); the path alone decides.
        let path = parts.count >= 2 ? parts[1].split(separator: "?", maxSplits: 1).first.map(String.init) ?? "" : ""
        guard parts.count >= 2, parts[0] == "GET" || parts[0] == "HEAD", path == "/metrics" else {
            SocketIO.writeAll(fd, Self.response(status: "404 Not Found", body: Array("not found; try GET /metrics\n".utf8)))
            return
        }
        let body = render()
        SocketIO.writeAll(fd, Self.response(status: "200 OK", body: parts[0] == "HEAD" ? [] : body,
                                            type: "text/plain; version=0.0.4; charset=utf-8", length: body.count))
    }

    static func response(status: String, body: [UInt8], type: String = "text/plain; charset=utf-8", length: Int? = nil) -> [UInt8] {
        Array("HTTP/1.0 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(length ?? body.count)\r\nConnection: close\r\n\r\n".utf8) + body
    }
}

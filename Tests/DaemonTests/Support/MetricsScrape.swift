import Glibc
import TestSupport

/// A scraper's side of the metrics endpoint: one HTTP/1.0 request, the whole answer back.
enum MetricsScrape {
    /// Sends `GET path` to 127.0.0.1:`port`; the status line and the body.
    static func get(port: UInt16, path: String = "/metrics") throws -> (status: String, body: String) {
        guard let fd = try? LocalSocket.connect(loopbackPort: port, receiveTimeout: 10) else {
            throw ChildProcess.SpawnError(description: "cannot connect to 127.0.0.1:\(port)")
        }
        defer { close(fd) }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: localhost\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let status = text.components(separatedBy: "\r\n").first ?? ""
        let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return (status, body)
    }

    /// The value of the sample named exactly `series` (name and labels), if the body has it.
    static func value(_ series: String, in body: String) -> Double? {
        for line in body.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }
}

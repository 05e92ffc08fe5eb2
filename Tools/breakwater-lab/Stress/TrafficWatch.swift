import Glibc

/// The daemon as the stress commands watch it: its process (/proc) and, when a control socket
/// is given, the ledger's figures from `stats` (threads tracked, evictions).
struct TrafficWatch {
    let probe: ProcessProbe?
    let controlSocket: String?

    /// One look at the daemon. Fields are nil when their source is not available.
    struct Reading: Sendable {
        var process: ProcessProbe.Sample?
        var threadsTracked: Int?
        var evictions: Int?
        var daemonMessages: Int?
        var indexedMessages: Int?
    }

    init(pid: Int32?, controlSocket: String?) {
        probe = pid.map { ProcessProbe(pid: $0) }
        self.controlSocket = controlSocket
    }

    func read() -> Reading {
        var r = Reading(process: probe?.sample())
        if let controlSocket, let line = Self.ask(controlSocket, request: #"{"verb":"stats"}"#) {
            r.threadsTracked = Self.number("threads", in: line)
            r.evictions = Self.number("evictions", in: line)
            r.daemonMessages = Self.number("messages", in: line)
            r.indexedMessages = Self.number("indexedMessages", in: line)
        }
        return r
    }

    /// The one-line JSON answer to one request on the control socket; nil if there is none.
    static func ask(_ path: String, request: String) -> String? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { return nil }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let out = Array((request + "\n").utf8)
        guard out.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == out.count else { return nil }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while answer.last != UInt8(ascii: "\n"), answer.count < 16 << 20 {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            answer.append(contentsOf: buffer[0..<n])
        }
        guard answer.last == UInt8(ascii: "\n") else { return nil }
        return String(decoding: answer.dropLast(), as: UTF8.self)
    }

    /// The integer after `"key":` in a JSON line (the first occurrence); nil if absent.
    static func number(_ key: String, in line: String) -> Int? {
        let utf8 = Array(line.utf8)
        let needle = Array("\"\(key)\":".utf8)
        guard needle.count <= utf8.count else { return nil }
        var i = 0
        while i + needle.count <= utf8.count {
            if utf8[i] == needle[0], Array(utf8[i..<(i + needle.count)]) == needle {
                var j = i + needle.count
                while j < utf8.count, utf8[j] == UInt8(ascii: " ") { j += 1 }
                var value = 0
                var digits = 0
                while j < utf8.count, utf8[j] >= UInt8(ascii: "0"), utf8[j] <= UInt8(ascii: "9") {
                    value = value * 10 + Int(utf8[j] - UInt8(ascii: "0"))
                    j += 1
                    digits += 1
                }
                return digits > 0 ? value : nil
            }
            i += 1
        }
        return nil
    }
}

/// Figures as the summaries print them.
enum TrafficFormat {
    static func mib(_ kib: Int?) -> String {
        guard let kib else { return "n/a" }
        let tenths = (kib * 10 + 512) / 1024
        return "\(tenths / 10).\(tenths % 10) MiB"
    }

    /// `value` with `places` decimals (printf's rounding), as the benchmarks print theirs.
    static func fixed(_ value: Double, _ places: Int = 1) -> String { cformat("%.\(places)f", value) }

    static func optional(_ value: Int?) -> String { value.map(String.init) ?? "n/a" }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let (s, atto) = (ContinuousClock.now - start).components
        return Double(s) + Double(atto) / 1e18
    }
}

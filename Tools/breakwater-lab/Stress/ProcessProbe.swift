import Glibc

/// What /proc says about another process: resident memory, its peak, open file descriptors.
/// Every figure is nil once the process is gone.
struct ProcessProbe {
    let pid: Int32

    struct Sample: Sendable {
        var rssKiB: Int
        var hwmKiB: Int
        var fds: Int
        var threads: Int
    }

    func sample() -> Sample? {
        guard let status = Self.readFile("/proc/\(pid)/status") else { return nil }
        func field(_ name: String) -> Int? {
            for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
                let digits = line.dropFirst(name.count + 1).filter { $0.isNumber }
                return Int(String(digits))
            }
            return nil
        }
        guard let rss = field("VmRSS"), let hwm = field("VmHWM"), let fds = fdCount() else { return nil }
        return Sample(rssKiB: rss, hwmKiB: hwm, fds: fds, threads: field("Threads") ?? 0)
    }

    var isAlive: Bool {
        guard let status = Self.readFile("/proc/\(pid)/status") else { return false }
        return !status.contains("State:\tZ") && !status.contains("State:\tX")
    }

    /// Entries in /proc/PID/fd (needs the same user or root).
    func fdCount() -> Int? {
        guard let dir = opendir("/proc/\(pid)/fd") else { return nil }
        defer { closedir(dir) }
        var n = 0
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in raw.first.map { $0 } ?? 0 }
            if name != UInt8(ascii: ".") { n += 1 }
        }
        return n
    }

    static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

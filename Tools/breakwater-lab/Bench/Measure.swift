import Glibc

/// Monotonic nanoseconds.
func nanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Monotonic seconds (the hostile sessions' deadlines and timings).
func monotonicSeconds() -> Double { Double(nanos()) / 1e9 }

/// Resident set size from /proc/self/statm, in bytes.
func residentBytes() -> Int {
    guard let f = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(f) }
    var size = 0, rss = 0
    withUnsafeMutablePointer(to: &size) { s in
        withUnsafeMutablePointer(to: &rss) { r in
            _ = withVaList([s, r]) { vfscanf(f, "%ld %ld", $0) }
        }
    }
    return rss * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// Resident bytes after glibc's `malloc_trim(0)` hands free heap pages back to the kernel, so
/// memory freed by an earlier case and reused by the next one neither hides nor inflates growth.
/// (`malloc_trim` is not in Swift's Glibc module; found with dlsym.)
func trimmedResidentBytes() -> Int {
    typealias Trim = @convention(c) (Int) -> Int32
    if let f = dlsym(nil, "malloc_trim") {  // nil: RTLD_DEFAULT
        _ = unsafeBitCast(f, to: Trim.self)(0)
    }
    return residentBytes()
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? 0 : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func percentile(_ sorted: [UInt64], _ p: Double) -> UInt64 {
    sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

func fmt(_ x: Double, _ digits: Int = 0) -> String {
    var s = cformat(digits == 0 ? "%.0f" : "%.\(digits)f", x)
    if digits == 0 {
        var out = ""
        for (i, c) in s.reversed().enumerated() { if i > 0, i % 3 == 0 { out.append(",") }; out.append(c) }
        s = String(out.reversed())
    }
    return s
}

func cformat(_ format: String, _ x: Double) -> String {
    var buf = [CChar](repeating: 0, count: 64)
    _ = withVaList([x]) { vsnprintf(&buf, 64, format, $0) }
    let bytes = buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}

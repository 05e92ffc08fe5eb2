import Glibc

/// glibc malloc settings the daemon makes for itself (malloc.h is not in Swift's Glibc module,
/// so `mallopt` is looked up by name).
enum MallocTuning {
    /// `M_MMAP_THRESHOLD` from malloc.h.
    static let mmapThreshold: Int32 = -3

    /// Serves allocations of `bytes` and more with mmap, always, and turns off glibc's dynamic
    /// threshold (which rises to 32 MiB after the first large free). True when glibc took it.
    @discardableResult
    static func fixMmapThreshold(bytes: Int32) -> Bool {
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        // why: a nil handle is RTLD_DEFAULT, the global lookup the program itself uses.
        guard let symbol = dlsym(nil, "mallopt") else { return false }
        return unsafeBitCast(symbol, to: Mallopt.self)(mmapThreshold, bytes) == 1
    }
}

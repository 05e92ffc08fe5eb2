import Glibc

/// glibc malloc settings the daemon makes for itself (malloc.h is not in Swift's Glibc module,
/// so `mallopt` is looked up by name).
enum MallocTuning {
    /// `M_MMAP_THRESHOLD` and `M_ARENA_MAX` from malloc.h.
    static let mmapThreshold: Int32 = -3
    static let arenaMax: Int32 = -8

    /// Serves allocations of `bytes` and more with mmap, always, and turns off glibc's dynamic
    /// threshold (which rises to 32 MiB after the first large free). True when glibc took it.
    @discardableResult
    static func fixMmapThreshold(bytes: Int32) -> Bool {
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        // why: a nil handle is RTLD_DEFAULT, the global lookup the program itself uses.
        guard let symbol = dlsym(nil, "mallopt") else { return false }
        return unsafeBitCast(symbol, to: Mallopt.self)(mmapThreshold, bytes) == 1
    }

    /// At most `count` malloc arenas. glibc gives threads up to 8 per core; libmilter's workers
    /// come and go, and each arena keeps its own holes. True when glibc took it.
    @discardableResult
    static func limitArenas(_ count: Int32) -> Bool {
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return false }
        return unsafeBitCast(symbol, to: Mallopt.self)(arenaMax, count) == 1
    }

    /// Gives free memory in every malloc arena back to the kernel (`malloc_trim(0)`: the top of
    /// each heap, and whole free pages inside them). True when some was released.
    @discardableResult
    static func trim() -> Bool {
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(nil, "malloc_trim") else { return false }
        return unsafeBitCast(symbol, to: MallocTrim.self)(0) == 1
    }
}

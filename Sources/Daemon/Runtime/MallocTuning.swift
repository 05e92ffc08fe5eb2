import Glibc

/// glibc malloc settings the daemon makes for itself (malloc.h is not in Swift's Glibc module,
/// so `mallopt` and `malloc_trim` are looked up by name, once).
enum MallocTuning {
    /// `M_MMAP_THRESHOLD` and `M_ARENA_MAX` from malloc.h.
    static let mmapThreshold: Int32 = -3
    static let arenaMax: Int32 = -8

    private typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    private typealias MallocTrim = @convention(c) (Int) -> Int32
    // why: a nil handle is RTLD_DEFAULT, the global lookup the program itself uses.
    private static let mallopt = dlsym(nil, "mallopt").map { unsafeBitCast($0, to: Mallopt.self) }
    private static let mallocTrim = dlsym(nil, "malloc_trim").map { unsafeBitCast($0, to: MallocTrim.self) }

    /// Serves allocations of `bytes` and more with mmap, always, and turns off glibc's dynamic
    /// threshold (which rises to 32 MiB after the first large free). True when glibc took it.
    @discardableResult
    static func fixMmapThreshold(bytes: Int32) -> Bool { mallopt?(mmapThreshold, bytes) == 1 }

    /// At most `count` malloc arenas. glibc gives threads up to 8 per core; libmilter's workers
    /// come and go, and each arena keeps its own holes. True when glibc took it.
    @discardableResult
    static func limitArenas(_ count: Int32) -> Bool { mallopt?(arenaMax, count) == 1 }

    /// Gives free memory in every malloc arena back to the kernel (`malloc_trim(0)`: the top of
    /// each heap, and whole free pages inside them). True when some was released.
    @discardableResult
    static func trim() -> Bool { mallocTrim?(0) == 1 }
}

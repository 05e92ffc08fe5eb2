@testable import Daemon
import Testing

/// The malloc settings the daemon makes at start are taken by glibc.
struct MallocTuningTests {
    @Test func glibcTakesTheFixedMmapThreshold() {
        #expect(MallocTuning.fixMmapThreshold(bytes: 1 << 20))
        #expect(MallocTuning.limitArenas(2))
    }
}

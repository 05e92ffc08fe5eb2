@testable import Daemon
import Glibc
import Testing

/// The open-files watch: when it speaks, and that it says each change once.
struct OpenFileWatchTests {
    typealias Level = OpenFileWatch.Level

    @Test func levelsFollowTheShareOfTheLimitWithHysteresisOnTheWayDown() {
        let limit = 1_000
        #expect(OpenFileWatch.level(open: 24, limit: limit, before: .normal) == .normal)
        #expect(OpenFileWatch.level(open: 899, limit: limit, before: .normal) == .normal)
        #expect(OpenFileWatch.level(open: 900, limit: limit, before: .normal) == .high)
        #expect(OpenFileWatch.level(open: 999, limit: limit, before: .high) == .full)
        #expect(OpenFileWatch.level(open: 1_000, limit: limit, before: .normal) == .full)
        // On the way down: still high between 75 % and 90 %, normal below.
        #expect(OpenFileWatch.level(open: 800, limit: limit, before: .full) == .high)
        #expect(OpenFileWatch.level(open: 750, limit: limit, before: .high) == .high)
        #expect(OpenFileWatch.level(open: 749, limit: limit, before: .high) == .normal)
        #expect(OpenFileWatch.level(open: 5, limit: 0, before: .full) == .normal)
    }

    @Test func aLineOnlyWhenTheLevelChanges() {
        let walk: [(Int, Level)] = [(24, .normal), (930, .high), (940, .high), (1_000, .full), (1_000, .full),
                                    (800, .high), (100, .normal), (100, .normal)]
        var before = Level.normal
        var lines: [String] = []
        for (open, expected) in walk {
            let after = OpenFileWatch.level(open: open, limit: 1_000, before: before)
            #expect(after == expected, "\(open)")
            if let (_, text) = OpenFileWatch.message(from: before, to: after, open: open, limit: 1_000) { lines.append(text) }
            before = after
        }
        #expect(lines.count == 3, "\(lines)")
        #expect(lines[0].hasPrefix("open files high: 930 of 1000"))
        #expect(lines[1].hasPrefix("open files at the limit: 1000 of 1000"))
        #expect(lines[2] == "open files back to 100 of 1000")
    }

    @Test func theSoftLimitIsRaisedToTheHardOne() throws {
        var limit = rlimit()
        try #require(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0)
        let hard = limit.rlim_max
        try #require(hard > 1_024 && hard != rlim_t.max, "hard limit \(hard): nothing to test")
        // why one below the hard limit, not far below: other suites run in this process at the
        // same time and must not run out of descriptors while the soft limit is lowered.
        let lowered = hard - 1
        limit.rlim_cur = lowered
        try #require(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0)
        let raised = try #require(OpenFileWatch.raiseLimit())
        #expect(raised.before == Int(clamping: lowered))
        #expect(raised.after == Int(clamping: hard))
        #expect(OpenFileWatch.currentLimit() == raised.after)
        #expect(OpenFileWatch.raiseLimit() == nil, "a second raise changes nothing")
        #expect((OpenFileWatch.openCount() ?? 0) >= 3)
    }
}

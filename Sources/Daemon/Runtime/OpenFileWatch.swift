import BreakwaterConfig
import Glibc
import Logging
import Synchronization

/// Open files against the process's limit (RLIMIT_NOFILE), checked once a second.
///
/// At the limit libmilter can no longer accept milter connections: `accept` fails with
/// EMFILE, which libmilter treats as "try again" without a word (and without a pause of its
/// own: CMilterGuard's accept wrapper adds 50 ms, so it no longer spins a core). This watch is
/// what tells the admin: a warning once the
/// daemon holds 90 % of its limit, an error at the limit, a notice when it is back under 75 %;
/// each once per episode, not once a second.
final class OpenFileWatch: Sendable {
    enum Level: Int, Comparable, Sendable {
        case normal, high, full
        static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    /// The level for `open` descriptors out of `limit`, given the level before (hysteresis:
    /// back to normal only under 75 %).
    static func level(open: Int, limit: Int, before: Level) -> Level {
        guard limit > 0 else { return .normal }
        if open >= limit - 1 { return .full }
        if open * 10 >= limit * 9 { return .high }
        if before > .normal && open * 4 >= limit * 3 { return .high }
        return .normal
    }

    /// The line to log when the level moves from `before` to `after`, or nil.
    static func message(from before: Level, to after: Level, open: Int, limit: Int) -> (Logger.Level, String)? {
        switch (before, after) {
        case (_, .full) where before != .full:
            return (.error, "open files at the limit: \(open) of \(limit) (RLIMIT_NOFILE); libmilter cannot accept "
                + "new milter connections: they wait in the listen backlog and the MTA may time out and apply "
                + "milter_default_action; raise LimitNOFILE or lower the MTA's milter concurrency")
        case (.normal, .high):
            return (.warning, "open files high: \(open) of \(limit) (RLIMIT_NOFILE); at the limit new milter "
                + "connections cannot be accepted")
        case (.high, .normal), (.full, .normal):
            return (.notice, "open files back to \(open) of \(limit)")
        default:
            return nil
        }
    }

    /// Raises the soft limit to the hard one (Postfix can open one milter connection per smtpd
    /// and cleanup process); returns the limits before and after, or nil if unchanged.
    static func raiseLimit() -> (before: Int, after: Int)? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return nil }
        let before = Int(clamping: limit.rlim_cur)
        // why: an unlimited hard limit would make every caller of the limit think in billions.
        let target = limit.rlim_max == rlim_t.max ? max(limit.rlim_cur, 1 << 20) : limit.rlim_max
        limit.rlim_cur = target
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        return (before, Int(clamping: target))
    }

    static func currentLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        return Int(clamping: limit.rlim_cur)
    }

    /// Entries in /proc/self/fd (nil if it cannot be read). The directory stream itself holds
    /// one while counting; it is not counted. With no descriptor left to open the directory
    /// with, the count is the limit itself.
    static func openCount() -> Int? {
        guard let dir = opendir("/proc/self/fd") else {
            return errno == EMFILE || errno == ENFILE ? currentLimit() : nil
        }
        defer { closedir(dir) }
        var n = 0
        while let entry = readdir(dir) {
            if withUnsafeBytes(of: entry.pointee.d_name, { $0.first }) != UInt8(ascii: ".") { n += 1 }
        }
        return max(n - 1, 0)
    }

    private let logger: Logger
    private let level = Mutex(Level.normal)
    private let thread = StoppableThread()

    init(logger: Logger) { self.logger = logger }

    func start() -> Bool { thread.start { [self] in loop() } }

    func stop() { thread.stop() }

    /// One check: compares the open count with the limit and logs a change of level.
    func check() {
        let limit = Self.currentLimit()
        guard let open = Self.openCount() else { return }
        let (before, after) = level.withLock { current -> (Level, Level) in
            let next = Self.level(open: open, limit: limit, before: current)
            defer { current = next }
            return (current, next)
        }
        if let (severity, text) = Self.message(from: before, to: after, open: open, limit: limit) {
            logger.log(level: severity, Logger.Message(stringLiteral: text))
        }
    }

    private func loop() {
        while !thread.waitForStop(milliseconds: 1_000) { check() }
    }
}

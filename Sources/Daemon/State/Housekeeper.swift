import Glibc
import Logging
import StormCore
import Synchronization

/// The background loop that keeps the ledger tidy and on disk: every tick it ends blocks whose
/// time is up (logging each expiry, even in a silent thread) and writes the snapshot.
final class Housekeeper: Sendable {
    private let service: FilterService
    private let store: SnapshotStore
    private let interval: Mutex<Int64?>
    private let thread = StoppableThread()
    /// The last write failure logged, so a full disk logs once, not every ten seconds.
    private let lastFailure = Mutex<String?>(nil)

    /// How long a tick is when snapshots are off: expiries still need their log line.
    static let sweepOnlyInterval: Int64 = 60

    init(service: FilterService, store: SnapshotStore, interval: Int64?) {
        self.service = service
        self.store = store
        self.interval = Mutex(interval)
    }

    /// Seconds between snapshots (nil: only at stop); a reload may change it.
    func setInterval(_ seconds: Int64?) { interval.withLock { $0 = seconds } }

    func start() -> Bool { thread.start { [self] in loop() } }

    /// Stops the loop and waits for it (its current snapshot write finishes first).
    func stop() { thread.stop() }

    private func loop() {
        while true {
            let every = interval.withLock { $0 }
            let seconds = every ?? Self.sweepOnlyInterval
            if thread.waitForStop(milliseconds: Int32(clamping: seconds * 1_000)) { return }
            sweep()
            if every != nil { saveSnapshot() }
        }
    }

    /// Ends due blocks and logs each expiry.
    func sweep() {
        let now = service.clock()
        for event in service.engine.ledger.sweep(now: now, policy: service.engine.policy) {
            service.logger.notice("\(DecisionLog.line(for: event))")
        }
    }

    /// Writes the snapshot now; a failure is logged (once per distinct reason), never fatal.
    @discardableResult
    func saveSnapshot() -> Bool {
        guard store.isEnabled else { return true }
        let result = store.save(service.engine.ledger, now: service.clock())
        // why: a snapshot copies the ledger and the next decisions copy it back (copy-on-write),
        // on libmilter's worker threads, each in its own malloc arena; the freed copies leave
        // holes that glibc keeps. Trimming after each write returns them (CHANGELOG.md, 2026-11-26).
        MallocTuning.trim()
        switch result {
        case .success(let bytes):
            if lastFailure.withLock({ $0 }) != nil {
                lastFailure.withLock { $0 = nil }
                service.logger.notice("snapshot written again to \(store.path) (\(bytes) bytes)")
            } else {
                service.logger.debug("snapshot written to \(store.path) (\(bytes) bytes)")
            }
            return true
        case .failure(let error):
            let text = error.description
            let isNew = lastFailure.withLock { last -> Bool in
                defer { last = text }
                return last != text
            }
            if isNew { service.logger.error("cannot write snapshot: \(text); filtering goes on") }
            return false
        }
    }
}

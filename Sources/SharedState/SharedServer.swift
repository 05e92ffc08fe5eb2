import BreakwaterConfig
import Glibc
package import StormCore
import Synchronization

/// The server side of `SharedThreadStore`: pooled connections lent one call at a time, marking the
/// server down when a call fails, and the upkeep that reconnects, writes back blocks and
/// exchanges learned sizes.
extension SharedThreadStore {
    struct Health {
        var everConnected = false
        /// When this episode of unavailability began (monotonic seconds); nil while up.
        var downSince: Double? = 0
        var reason = "not connected yet"
        var nextAttempt: Double = 0
        var backoff: Double = 0.5
        var logged = false
        /// When learned sizes are next exchanged (monotonic seconds).
        var nextExchange: Double = 0
    }

    struct Pool {
        var idle: [Lease] = []
        var generation = 0
    }

    /// One connection, lent to one thread at a time.
    final class Lease: @unchecked Sendable {
        let connection: RedisConnection
        let generation: Int
        init(_ connection: RedisConnection, generation: Int) {
            self.connection = connection
            self.generation = generation
        }
    }

    // MARK: the connection

    /// Runs `body` on a pooled connection while the server is up; nil when it is away or the
    /// call fails (which marks it down).
    func shared<T>(counted: Bool = true, _ body: (SharedCalls) throws(RedisError) -> T) -> T? {
        guard isUp else {
            if counted { localCalls.add(1, ordering: .relaxed) }
            return nil
        }
        let lease: Lease
        do throws(RedisError) {
            lease = try take()
        } catch {
            markDown(error)
            if counted { localCalls.add(1, ordering: .relaxed) }
            return nil
        }
        do throws(RedisError) {
            let result = try body(SharedCalls(connection: lease.connection, prefix: settings.prefix))
            give(lease)
            if counted { sharedCalls.add(1, ordering: .relaxed) }
            return result
        } catch {
            if !error.connectionIsUnusable { give(lease) }
            markDown(error)
            if counted { localCalls.add(1, ordering: .relaxed) }
            return nil
        }
    }

    func take() throws(RedisError) -> Lease {
        let (lease, generation) = pool.withLock { p in (p.idle.popLast(), p.generation) }
        if let lease { return lease }
        return Lease(try connect(), generation: generation)
    }

    func give(_ lease: Lease) {
        guard lease.connection.isUsable else { return }
        pool.withLock { p in
            if lease.generation == p.generation, p.idle.count < 32 { p.idle.append(lease) }
        }
    }

    func connect() throws(RedisError) -> RedisConnection {
        try RedisConnection(to: settings.address, timeout: settings.timeout, credentials: settings.credentials)
    }

    func markDown(_ error: RedisError) {
        let wasUp = up.exchange(false, ordering: .acquiringAndReleasing)
        pool.withLock { p in
            p.idle.removeAll()
            p.generation += 1
        }
        let now = Self.monotonic()
        let text = health.withLock { h -> String? in
            h.reason = error.message
            if wasUp {
                h.downSince = now
                h.nextAttempt = now + 0.5
                h.backoff = 0.5
                h.logged = true
                return error.message
            }
            return nil
        }
        if let text {
            log(.error, "shared state \(settings.address) unavailable: \(text); "
                + (settings.tempfail ? "deferring the messages that need it" : "judging on this host's ledger"))
        }
    }

    // MARK: upkeep

    /// Connects when the server is away and an attempt is due (backoff from 0.5 s to 5 s), then
    /// writes back blocks; while up, checks the server (PING) and exchanges learned sizes every
    /// 30 s. Call at start and then about twice a second, from one thread; no decision waits on it.
    package func maintain(now: Instant) {
        let clock = Self.monotonic()
        if isUp {
            _ = shared(counted: false) { calls throws(RedisError) in _ = try calls.connection.command(["PING"]) }
            let due = health.withLock { h -> Bool in
                guard clock >= h.nextExchange else { return false }
                h.nextExchange = clock + 30
                return true
            }
            if due || !unsentLearned.withLock({ $0.isEmpty }) { exchangeLearned() }
            return
        }
        guard health.withLock({ clock >= $0.nextAttempt }) else { return }
        do throws(RedisError) {
            let connection = try connect()
            let info = try connection.command(["INFO", "server"]).text ?? ""
            let written = try writeBack(SharedCalls(connection: connection, prefix: settings.prefix), now: now)
            pool.withLock { p in p.idle.append(Lease(connection, generation: p.generation)) }
            let awayFor = health.withLock { h -> Double? in
                defer {
                    h.everConnected = true
                    h.downSince = nil
                    h.logged = false
                    h.backoff = 0.5
                    h.nextExchange = clock + 30
                }
                return h.everConnected ? h.downSince.map { clock - $0 } : nil
            }
            up.store(true, ordering: .releasing)
            exchangeLearned()
            let version = Self.field("redis_version", in: info)
            log(.notice, "shared state: connected to \(settings.address) (server \(version.isEmpty ? "?" : version)"
                + (awayFor.map { ", away \(Int($0))s" } ?? "") + "); \(written) block\(written == 1 ? "" : "s") written back")
        } catch {
            let first = health.withLock { h -> Bool in
                h.reason = error.message
                h.nextAttempt = clock + h.backoff
                h.backoff = min(h.backoff * 2, 5)
                defer { h.logged = true }
                return !h.logged
            }
            if first {
                log(.error, "shared state \(settings.address) unavailable: \(error.message); "
                    + (settings.tempfail ? "deferring the messages that need it" : "judging on this host's ledger")
                    + "; retrying in the background")
            }
        }
    }

    /// Writes this host's blocks to the server: those decided while it was away lengthen the
    /// shared ones; the others (mirrored, or from the snapshot) are written only where the server
    /// does not know the thread (it restarted empty, or the thread was never shared).
    func writeBack(_ calls: SharedCalls, now: Instant) throws(RedisError) -> Int {
        let alone = blockedAlone.withLock { $0 }
        var written = 0
        for s in local.storms(now: now, since: nil) {
            guard let until = s.blockedUntil else { continue }
            _ = try calls.block(s.key, seconds: until.seconds - now.seconds, rootID: s.rootID, subject: s.subject,
                                audience: s.audience, mode: alone.contains(s.key) ? .merge : .restore, ttl: limits.threadTTL)
            written += 1
        }
        blockedAlone.withLock { $0.subtract(alone) }
        return written
    }

    /// Sends the sizes learned here and takes the shared ones.
    func exchangeLearned() {
        let unsent = unsentLearned.withLock { u -> [UInt64: Int] in
            defer { u.removeAll() }
            return u
        }
        let all = shared(counted: false) { calls throws(RedisError) -> [UInt64: Int] in
            try calls.learn(unsent, ttl: limits.threadTTL, limit: limits.maxLearnedSizes)
        }
        guard let all else {
            unsentLearned.withLock { u in for (k, v) in unsent { u[k] = max(u[k] ?? 0, v) } }
            return
        }
        if all.isEmpty { return }
        learned.withLock { l in
            for (k, v) in all where v > l[k] ?? 0 && (l.count < limits.maxLearnedSizes || l[k] != nil) { l[k] = v }
        }
        hasLearned.store(true, ordering: .releasing)
    }

    /// Why the server is away now; nil while it is up.
    package var downReason: String? {
        isUp ? nil : health.withLock { $0.reason }
    }

    static func field(_ name: String, in info: String) -> String {
        for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix(name + ":") {
            return String(line.dropFirst(name.count + 1))
        }
        return ""
    }

    static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

import Glibc
package import BreakwaterConfig
package import StormCore
import Synchronization

/// Thread state shared by several hosts on Redis/Valkey, with this host's own ledger as the
/// mirror the snapshot keeps and the fallback while the server is away.
///
/// - Ordinary mail never reaches this store (the rules pass it on its audience alone).
/// - A new large-audience message registers its thread; a reply-all runs one script that records
///   the rules' ruling only if the thread is still as the rules saw it (its version), else
///   shows it again for the rules to look at afresh: two hosts racing on the last place before
///   the trip point cannot both take it.
/// - Every answer from the server is mirrored into the local ledger (counts, blocks), so a host
///   that loses the server goes on from what it saw, and restarts from its snapshot.
/// - A failed call (down, slow past the timeout, a server error) is answered at once from the
///   local ledger; the store is then down until `maintain` reconnects, with backoff, and writes
///   back the blocks decided alone meanwhile (and, when the server lost its data, every block).
package final class SharedThreadStore: ThreadStore {
    package struct Settings: Sendable {
        package var address: SharedStateAddress
        package var credentials: RedisCredentials?
        package var prefix: String
        package var timeout: Duration
        /// Defer what needs the shared state while it is away, instead of judging locally.
        package var tempfail: Bool

        package init(address: SharedStateAddress, credentials: RedisCredentials? = nil, prefix: String = "breakwater:",
                     timeout: Duration = .milliseconds(50), tempfail: Bool = false) {
            self.address = address
            self.credentials = credentials
            self.prefix = prefix
            self.timeout = timeout
            self.tempfail = tempfail
        }
    }

    /// What the store tells the daemon's log.
    package enum LogLevel: Sendable { case notice, warning, error }
    package typealias Log = @Sendable (LogLevel, String) -> Void

    package let settings: Settings
    /// This host's ledger: the mirror, the snapshot's content, the fallback.
    package let local: ThreadLedger
    private let log: Log
    private let limits: LedgerLimits

    private let up = Atomic<Bool>(false)
    private let health: Mutex<Health>
    private let pool = Mutex<Pool>(Pool())
    /// Learned sizes: this host's and the shared ones, merged (by address hash).
    private let learned: Mutex<[UInt64: Int]>
    /// Sizes learned here and not yet sent.
    private let unsentLearned = Mutex<[UInt64: Int]>([:])
    /// The last answer about the thread of each recent reply-all root: the state a storm's next
    /// reply-all is first judged on. Only a guess: the script records nothing unless the thread
    /// is still that thread at that version.
    private let recent = Mutex<[MessageKey: SharedThread]>([:])
    private static let recentLimit = 4_096
    /// Threads this host blocked while the server was away: written back (lengthening only) on return.
    private let blockedAlone = Mutex<Set<MessageKey>>([])

    /// Calls answered by the server, and calls answered locally because it failed or was away.
    private let sharedCalls = Atomic<UInt64>(0)
    private let localCalls = Atomic<UInt64>(0)

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

    /// A store on `settings` over this host's `local` ledger. No connection is made here: call
    /// `maintain()` (at start, then on a timer).
    package init(settings: Settings, local: ThreadLedger, log: @escaping Log) {
        self.settings = settings
        self.local = local
        self.log = log
        self.limits = local.limits
        self.learned = Mutex(local.learnedByHash)
        self.health = Mutex(Health())
    }

    /// True while the server answers.
    package var isUp: Bool { up.load(ordering: .acquiring) }

    /// Calls the server answered, and calls answered locally instead.
    package var callCounts: (shared: UInt64, local: UInt64) {
        (sharedCalls.load(ordering: .relaxed), localCalls.load(ordering: .relaxed))
    }

    // MARK: learned sizes

    package var learnedByHash: [UInt64: Int] { learned.withLock { $0 } }

    package func learn(_ address: String, size: Int) {
        local.learn(address, size: size)
        let h = MessageKey(address).rawValue
        learned.withLock { if size > $0[h] ?? 0, $0.count < limits.maxLearnedSizes || $0[h] != nil { $0[h] = size } }
        unsentLearned.withLock { $0[h] = max($0[h] ?? 0, size) }
    }

    // MARK: decisions

    package func recordAnnouncement(_ a: Announcement, now: Instant) -> ThreadChange {
        let mine = local.recordAnnouncement(a, now: now)
        guard let shared = shared({ calls throws(RedisError) in try calls.announce(a, ttl: limits.threadTTL) }) else {
            return settings.tempfail ? .unavailable(a.key) : mine
        }
        return ThreadChange(thread: shared.state(localNow: now), subject: mine.subject, author: mine.author)
    }

    package func judgeReplyAll(_ r: ReplyAll, policy: StormPolicy, now: Instant,
                               by rule: (ThreadState) -> ReplyAllRuling) -> ThreadChange {
        let answer = shared { calls throws(RedisError) -> (ReplyAllAnswer, ReplyAllRuling) in
            var expected: (thread: MessageKey, version: Int64)? = nil
            var ruling = ReplyAllRuling()
            // why: in a storm the reply-alls of one thread come one after another; judged on the
            // thread as the last answer left it, most are recorded in one script run, not two.
            if let last = recent.withLock({ $0[r.rootKey] }) {
                expected = (last.key, last.version)
                ruling = rule(last.state(localNow: now))
            }
            // why a bound: each round is lost only to another host's recorded decision, so it
            // ends; 64 rounds mean a pathological contention, judged locally rather than waited on.
            for _ in 0..<64 {
                let a = try calls.replyAll(r, policy: policy, ttl: limits.threadTTL, links: limits.maxMessagesPerThread,
                                           expected: expected, ruling: ruling, blockSeconds: Self.seconds(of: ruling, now: now))
                guard case .state(let t) = a else { return (a, ruling) }
                expected = (t.key, t.version)
                ruling = rule(t.state(localNow: now))
            }
            throw RedisError(.serverError, "a reply-all's thread changed under it 64 times in a row", connectionIsUnusable: false)
        }
        guard let (a, ruling) = answer else {
            // why not judged here: the site asked to defer rather than count apart.
            if settings.tempfail { return .unavailable(r.rootKey) }
            let change = local.judgeReplyAll(r, policy: policy, now: now, by: rule)
            if change.events.contains(where: { $0.kind == .tripped }) {
                blockedAlone.withLock { _ = $0.insert(change.thread.key) }
            }
            return change
        }
        switch a {
        case .repeated(let t), .recorded(let t, _):
            recent.withLock { last in
                if last.count >= Self.recentLimit { last.removeAll(keepingCapacity: true) }
                last[r.rootKey] = t
            }
        case .state:
            break
        }
        switch a {
        case .repeated(let t):
            // Not mirrored: it was counted when it first passed, on whichever host that was.
            let author = local.thread(t.key.description, now: now)?.author ?? ""
            return ThreadChange(thread: t.state(localNow: now), subject: t.subject, author: author, repeatedPass: true)
        case .recorded(let t, let kinds):
            let mine = mirror(r, policy: policy, now: now, shared: t, ruling: ruling, tripped: kinds.contains(.tripped))
            let events = kinds.map { kind in
                StormEvent(kind: kind, thread: t.key, subject: t.subject, at: now,
                           blockedUntil: kind == .expired ? nil : t.local(t.blockedUntil, now),
                           repliesInWindow: t.repliesInWindow, threadAudience: t.audience)
            }
            return ThreadChange(thread: t.state(localNow: now), subject: t.subject.isEmpty ? mine.subject : t.subject,
                                author: mine.author, events: events)
        case .state:
            preconditionFailure("the reply-all loop returns only a recorded or repeated answer")
        }
    }

    /// Records in the local ledger what the server recorded, so this host's counts and blocks
    /// follow the shared ones; returns the local change (for the author, which only the host
    /// that saw the announcement knows).
    private func mirror(_ r: ReplyAll, policy: StormPolicy, now: Instant, shared t: SharedThread,
                        ruling: ReplyAllRuling, tripped: Bool) -> ThreadChange {
        let until = t.local(t.blockedUntil, now)
        let block: BlockChange? = until.map { tripped ? .trip(until: $0) : .extend(until: $0) }
        let mine = local.judgeReplyAll(r, policy: policy, now: now) { _ in
            ReplyAllRuling(stoppedBy: ruling.stoppedBy, block: block)
        }
        // A block lifted elsewhere (released, or ended by quiet) is lifted here too.
        if until == nil, mine.thread.isBlocked { _ = local.release(mine.thread.key.description, now: now) }
        return mine
    }

    package func judgeReply(parents: [MessageKey], audience: Int, now: Instant,
                            by rule: (ThreadState) -> Rule?) -> ThreadChange? {
        let mine = local.judgeReply(parents: parents, audience: audience, now: now, by: rule)
        let answer: ThreadChange?? = shared { calls throws(RedisError) -> ThreadChange? in
            guard let t = try calls.find(parents) else { return nil }
            guard rule(t.state(localNow: now)) != nil else { return nil }
            try calls.countStop(t.key, audience: audience, ttl: limits.threadTTL)
            return ThreadChange(thread: t.state(localNow: now), subject: t.subject, author: mine?.author ?? "")
        }
        guard let answer else { return settings.tempfail ? .unavailable(parents.first ?? MessageKey(rawValue: 0)) : mine }
        return answer ?? mine
    }

    // MARK: admin

    package func storms(now: Instant, since: Instant?) -> [ThreadSummary] {
        let answer = shared { calls throws(RedisError) -> [ThreadSummary] in
            var out: [ThreadSummary] = []
            for key in try calls.stormKeys() {
                guard let s = try summary(key, calls: calls, now: now) else { continue }
                if s.blockedUntil != nil || (s.trippedAt.map { $0.seconds >= (since?.seconds ?? 0) } ?? false) {
                    out.append(s)
                }
            }
            return out.sorted { ($0.trippedAt?.seconds ?? 0) > ($1.trippedAt?.seconds ?? 0) }
        }
        return answer ?? local.storms(now: now, since: since)
    }

    package func thread(_ id: String, now: Instant) -> ThreadSummary? {
        let answer = shared { calls throws(RedisError) -> ThreadSummary? in
            guard let key = try Self.threadKey(id, calls: calls) else { return nil }
            return try summary(key, calls: calls, now: now)
        }
        return answer ?? local.thread(id, now: now)
    }

    package func release(_ id: String, now: Instant) -> StormEvent? {
        let mine = local.release(id, now: now)
        let answer = shared { calls throws(RedisError) -> StormEvent? in
            guard let key = try Self.threadKey(id, calls: calls), let t = try calls.release(key, ttl: limits.threadTTL) else {
                return nil
            }
            // The local copy follows, also when only the server had the block.
            if mine == nil { _ = local.release(key.description, now: now) }
            return StormEvent(kind: .released, thread: t.key, subject: t.subject, at: now, blockedUntil: nil,
                              repliesInWindow: t.repliesInWindow, threadAudience: t.audience)
        }
        blockedAlone.withLock { set in if let mine { set.remove(mine.thread) } }
        return answer ?? mine
    }

    package func freeze(_ id: String, until: Instant, now: Instant) -> StormEvent {
        let mine = local.freeze(id, until: until, now: now)
        let answer = shared { calls throws(RedisError) -> StormEvent in
            let key = try Self.threadKey(id, calls: calls) ?? mine.thread
            let t = try calls.block(key, seconds: until.seconds - now.seconds, rootID: MessageIDParser.first(in: id) ?? "",
                                    subject: mine.subject, audience: mine.threadAudience, mode: .freeze, ttl: limits.threadTTL)
            return StormEvent(kind: .frozen, thread: t.key, subject: t.subject, at: now, blockedUntil: t.local(t.blockedUntil, now),
                              repliesInWindow: t.repliesInWindow, threadAudience: t.audience)
        }
        if answer == nil { blockedAlone.withLock { _ = $0.insert(mine.thread) } }
        return answer ?? mine
    }

    package func sweep(now: Instant, policy: StormPolicy) -> [StormEvent] {
        local.sweep(now: now, policy: policy)
    }

    package func totals(now: Instant) -> LedgerTotals {
        local.totals(now: now)
    }

    private func summary(_ key: MessageKey, calls: SharedCalls, now: Instant) throws(RedisError) -> ThreadSummary? {
        guard let (t, n) = try calls.summary(key) else { return nil }
        let mine = local.thread(key.description, now: now)
        func at(_ s: Int64) -> Instant { Instant(seconds: now.seconds + (s - t.serverNow)) }
        return ThreadSummary(key: t.key, rootID: t.rootID, subject: t.subject, author: mine?.author ?? "",
                             audience: t.audience, firstSeen: at(n.firstSeen), lastSeen: at(n.lastSeen),
                             repliesPassed: n.passed, repliesStopped: n.stopped, repliesInWindow: t.repliesInWindow,
                             deliveriesPrevented: n.prevented, distinctRepliers: n.repliers,
                             trippedAt: t.trippedAt == 0 ? nil : at(t.trippedAt), blockedUntil: t.local(t.blockedUntil, now),
                             storms: t.storms)
    }

    /// A thread named by its 16 hex digits, or by any Message-ID it holds.
    private static func threadKey(_ id: String, calls: SharedCalls) throws(RedisError) -> MessageKey? {
        var s = Substring(id)
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        if s.utf8.count == 16, let raw = UInt64(s, radix: 16) {
            let key = MessageKey(rawValue: raw)
            if let found = try calls.resolve(key) { return found }
        }
        let bare = MessageIDParser.first(in: String(s)) ?? String(s)
        return try calls.resolve(MessageKey(bare))
    }

    /// How far past `now` a ruling's block reaches, in seconds.
    private static func seconds(of ruling: ReplyAllRuling, now: Instant) -> Int64 {
        switch ruling.block {
        case .trip(let until)?, .extend(let until)?: return until.seconds - now.seconds
        case nil: return 0
        }
    }

    // MARK: the connection

    /// Runs `body` on a pooled connection while the server is up; nil when it is away or the
    /// call fails (which marks it down).
    private func shared<T>(counted: Bool = true, _ body: (SharedCalls) throws(RedisError) -> T) -> T? {
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

    private func take() throws(RedisError) -> Lease {
        let (lease, generation) = pool.withLock { p in (p.idle.popLast(), p.generation) }
        if let lease { return lease }
        return Lease(try connect(), generation: generation)
    }

    private func give(_ lease: Lease) {
        guard lease.connection.isUsable else { return }
        pool.withLock { p in
            if lease.generation == p.generation, p.idle.count < 32 { p.idle.append(lease) }
        }
    }

    private func connect() throws(RedisError) -> RedisConnection {
        try RedisConnection(to: settings.address, timeout: settings.timeout, credentials: settings.credentials)
    }

    private func markDown(_ error: RedisError) {
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
    private func writeBack(_ calls: SharedCalls, now: Instant) throws(RedisError) -> Int {
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
    private func exchangeLearned() {
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
    }

    /// Why the server is away now; nil while it is up.
    package var downReason: String? {
        isUp ? nil : health.withLock { $0.reason }
    }

    private static func field(_ name: String, in info: String) -> String {
        for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix(name + ":") {
            return String(line.dropFirst(name.count + 1))
        }
        return ""
    }

    private static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

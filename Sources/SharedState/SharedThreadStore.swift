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
    package enum LogLevel: Sendable { case notice, error }
    package typealias Log = @Sendable (LogLevel, String) -> Void

    package let settings: Settings
    /// This host's ledger: the mirror, the snapshot's content, the fallback.
    package let local: ThreadLedger
    let log: Log
    let limits: LedgerLimits

    let up = Atomic<Bool>(false)
    let health: Mutex<Health>
    let pool = Mutex<Pool>(Pool())
    /// Learned sizes: this host's and the shared ones, merged (by address hash).
    let learned: Mutex<[UInt64: Int]>
    /// True once any size is known. why: every message asks for the learned sizes, and most
    /// sites never learn one; this spares ordinary mail the lock, as `ThreadLedger` does.
    let hasLearned: Atomic<Bool>
    /// Sizes learned here and not yet sent.
    let unsentLearned = Mutex<[UInt64: Int]>([:])
    /// The last answer about the thread of each recent reply-all root: the state a storm's next
    /// reply-all is first judged on. Only a guess: the script records nothing unless the thread
    /// is still that thread at that version.
    let recent = Mutex<[MessageKey: SharedThread]>([:])
    static let recentLimit = 4_096
    /// Threads this host blocked while the server was away: written back (lengthening only) on return.
    let blockedAlone = Mutex<Set<MessageKey>>([])

    /// Calls answered by the server, and calls answered locally because it failed or was away.
    let sharedCalls = Atomic<UInt64>(0)
    let localCalls = Atomic<UInt64>(0)

    /// A store on `settings` over this host's `local` ledger. No connection is made here: call
    /// `maintain()` (at start, then on a timer).
    package init(settings: Settings, local: ThreadLedger, log: @escaping Log) {
        self.settings = settings
        self.local = local
        self.log = log
        self.limits = local.limits
        self.learned = Mutex(local.learnedByHash)
        self.hasLearned = Atomic(!local.learnedByHash.isEmpty)
        self.health = Mutex(Health())
    }

    /// True while the server answers.
    package var isUp: Bool { up.load(ordering: .acquiring) }

    /// Calls the server answered, and calls answered locally instead.
    package var callCounts: (shared: UInt64, local: UInt64) {
        (sharedCalls.load(ordering: .relaxed), localCalls.load(ordering: .relaxed))
    }

    // MARK: learned sizes

    package var learnedByHash: [UInt64: Int] {
        hasLearned.load(ordering: .acquiring) ? learned.withLock { $0 } : [:]
    }

    package func learn(_ address: String, size: Int) {
        local.learn(address, size: size)
        let h = MessageKey(address).rawValue
        let known = learned.withLock { l -> Bool in
            if size > l[h] ?? 0, l.count < limits.maxLearnedSizes || l[h] != nil { l[h] = size }
            return !l.isEmpty
        }
        if known { hasLearned.store(true, ordering: .releasing) }
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
    func mirror(_ r: ReplyAll, policy: StormPolicy, now: Instant, shared t: SharedThread,
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

    package func sweep(now: Instant, policy: StormPolicy) -> [StormEvent] {
        local.sweep(now: now, policy: policy)
    }

    package func totals(now: Instant) -> LedgerTotals {
        local.totals(now: now)
    }

    /// How far past `now` a ruling's block reaches, in seconds.
    static func seconds(of ruling: ReplyAllRuling, now: Instant) -> Int64 {
        switch ruling.block {
        case .trip(let until)?, .extend(let until)?: return until.seconds - now.seconds
        case nil: return 0
        }
    }

}

import Synchronization

/// Everything Breakwater remembers between messages: large-audience threads, their storms, and
/// learned list sizes. One per process, shared by every connection; bounded by `LedgerLimits`.
///
/// All state sits behind one mutex. The engine computes audiences and parses headers before it
/// takes the lock, so the locked part of a decision is a few hash lookups and appends.
public final class ThreadLedger: Sendable {
    let state: Mutex<LedgerState>
    /// True once any list size has been learned. why: every decision asks for the learned
    /// hashes, and most ledgers never learn one; this lets it skip the ledger's lock (which
    /// reply-alls hold) on the ordinary-mail path.
    private let hasLearned: Atomic<Bool>

    /// An empty ledger with the given bounds.
    public init(limits: LedgerLimits = LedgerLimits()) {
        state = Mutex(LedgerState(limits: limits))
        hasLearned = Atomic(false)
    }

    init(state: LedgerState) {
        hasLearned = Atomic(!state.learned.isEmpty)
        self.state = Mutex(state)
    }

    /// Threads remembered now.
    public var threadCount: Int { state.withLock { $0.count } }

    /// Message-IDs indexed now (roots and linked replies).
    public var indexedMessages: Int { state.withLock { $0.index.count } }

    /// Threads forgotten to make room since start.
    public var evictions: UInt64 { state.withLock { $0.evictions } }

    /// The bounds in force.
    public var limits: LedgerLimits { state.withLock { $0.limits } }

    /// Learned list sizes, for the audience computation. A copy-on-write snapshot: taking it
    /// costs a retain, and the caller reads it without holding the lock.
    public var learnedSizes: [String: Int] { state.withLock { $0.learned } }

    /// The learned sizes by the hash of their key (copy-on-write snapshot, like `learnedSizes`).
    package var learnedByHash: [UInt64: Int] {
        hasLearned.load(ordering: .acquiring) ? state.withLock { $0.learnedByHash } : [:]
    }

    /// Remembers that `address` (a `local@domain` key) reached at least `size` mailboxes.
    public func learn(_ address: String, size: Int) {
        let stored = state.withLock { st in
            st.learn(address, size: size)
            return !st.learned.isEmpty
        }
        if stored { hasLearned.store(true, ordering: .releasing) }
    }

    /// Threads that are blocked now or tripped since `since`, most recent trip first.
    public func storms(now: Instant, since: Instant? = nil) -> [ThreadSummary] {
        state.withLock { st in
            var out: [ThreadSummary] = []
            var s = st.head
            while s >= 0 {
                let r = st.slots[Int(s)]
                if r.isBlocked(at: now.seconds) || (r.trippedAt != 0 && r.trippedAt >= (since?.seconds ?? 0)) {
                    out.append(r.summary(now: now.seconds))
                }
                s = r.next
            }
            return out.sorted { ($0.trippedAt?.seconds ?? 0) > ($1.trippedAt?.seconds ?? 0) }
        }
    }

    /// One thread, named by its 16-hex-digit key or by any Message-ID it indexes.
    public func thread(_ id: String, now: Instant) -> ThreadSummary? {
        state.withLock { st in
            st.slot(named: id).map { st.slots[Int($0)].summary(now: now.seconds) }
        }
    }

    /// Lifts a thread's block now. Returns the `released` event, or nil if it was not blocked.
    public func release(_ id: String, now: Instant) -> StormEvent? {
        state.withLock { st in
            guard let s = st.slot(named: id), st.slots[Int(s)].isBlocked(at: now.seconds) else { return nil }
            st.slots[Int(s)].blockedUntil = 0
            st.slots[Int(s)].window.removeAll()
            return st.event(.released, slot: s, now: now.seconds)
        }
    }

    /// Blocks reply-alls in a thread by hand until `until`. A thread not yet known is created
    /// from the given id, so an admin can freeze a thread before its first reply arrives here.
    public func freeze(_ id: String, until: Instant, now: Instant) -> StormEvent {
        state.withLock { st in
            let s: Int32
            if let found = st.slot(named: id) {
                s = found
                st.touch(s, now: now.seconds)
            } else {
                let bare = MessageIDParser.first(in: id) ?? id
                s = st.insert(key: MessageKey(bare), audience: 0, now: now.seconds)
                st.slots[Int(s)].setText(rootID: bare, subject: nil, author: nil)
            }
            st.slots[Int(s)].blockedUntil = until.seconds
            st.slots[Int(s)].trippedAt = now.seconds
            st.slots[Int(s)].storms &+= 1
            return st.event(.frozen, slot: s, now: now.seconds)
        }
    }

    /// Ends blocks whose time is up and forgets idle threads; returns the `expired` events.
    /// The daemon calls this on a timer so an expiry is logged even when the thread is silent.
    public func sweep(now: Instant, policy: StormPolicy) -> [StormEvent] {
        state.withLock { st in
            var events: [StormEvent] = []
            var s = st.head
            while s >= 0 {
                let next = st.slots[Int(s)].next
                if let e = st.endBlockIfDue(s, policy: policy, now: now.seconds) { events.append(e) }
                s = next
            }
            st.expireIdle(now: now.seconds, budget: Int.max)
            return events
        }
    }

    /// Totals over every remembered thread, for stats and metrics.
    public func totals(now: Instant) -> LedgerTotals {
        state.withLock { st in
            var t = LedgerTotals()
            t.threads = st.count
            t.indexedMessages = st.index.count
            t.learnedSizes = st.learned.count
            t.evictions = st.evictions
            var s = st.head
            while s >= 0 {
                let r = st.slots[Int(s)]
                if r.isBlocked(at: now.seconds) { t.activeStorms += 1 }
                t.deliveriesPrevented += Int(r.deliveriesPrevented)
                s = r.next
            }
            return t
        }
    }
}

/// Counts over the whole ledger.
public struct LedgerTotals: Sendable, Equatable {
    public var threads = 0
    public var indexedMessages = 0
    public var learnedSizes = 0
    public var activeStorms = 0
    public var deliveriesPrevented = 0
    public var evictions: UInt64 = 0
    public init() {}
}

extension LedgerState {
    /// The slot of a thread named by its hex key, or by a Message-ID (with or without brackets).
    func slot(named id: String) -> Int32? {
        let name = ThreadName(id)
        if let hex = name.hexKey, let s = index[hex], slots[Int(s)].key == hex { return s }
        return index[name.messageKey]
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}

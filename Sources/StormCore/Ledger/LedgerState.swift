/// The ledger's data, guarded by `ThreadLedger`'s mutex: threads in slots, an index from
/// Message-ID keys to slots, and a least-recently-used list through the slots.
///
/// Every operation here is O(1) amortised or bounded by a small constant, so the time spent
/// holding the lock does not depend on how many threads are remembered.
struct LedgerState: Sendable {
    var limits: LedgerLimits
    var slots: [ThreadRecord] = []
    var freeSlots: [Int32] = []
    /// Least recently used at `head`, most recently used at `tail`.
    var head: Int32 = -1
    var tail: Int32 = -1
    var count = 0
    var index: [MessageKey: Int32] = [:]
    var subjects: [UInt64: Int32] = [:]
    var learned: [String: Int] = [:]
    /// The learned sizes by the hash of their key (`MessageKey`), for the audience count.
    var learnedByHash: [UInt64: Int] = [:]
    var evictions: UInt64 = 0

    init(limits: LedgerLimits) {
        self.limits = limits
        // Room for the whole cap up front: the pages are only touched as threads arrive, and
        // no doubling on growth means no half-empty copy left behind (a third of the memory at 1 M).
        slots.reserveCapacity(limits.maxThreads)
        index.reserveCapacity(limits.maxThreads)
        subjects.reserveCapacity(limits.maxThreads)
    }

    // MARK: finding

    /// The thread any of these keys belongs to, trying them in order.
    func find(_ keys: [MessageKey]) -> Int32? {
        for k in keys { if let s = index[k] { return s } }
        return nil
    }

    func find(subjectHash h: UInt64) -> Int32? {
        h == 0 ? nil : subjects[h]
    }

    // MARK: LRU list

    mutating func unlink(_ s: Int32) {
        let p = slots[Int(s)].prev, n = slots[Int(s)].next
        if p >= 0 { slots[Int(p)].next = n } else { head = n }
        if n >= 0 { slots[Int(n)].prev = p } else { tail = p }
        slots[Int(s)].prev = -1
        slots[Int(s)].next = -1
    }

    mutating func appendToTail(_ s: Int32) {
        slots[Int(s)].prev = tail
        slots[Int(s)].next = -1
        if tail >= 0 { slots[Int(tail)].next = s } else { head = s }
        tail = s
    }

    /// Marks a thread as just used.
    mutating func touch(_ s: Int32, now: Int64) {
        slots[Int(s)].lastSeen = max(slots[Int(s)].lastSeen, now)
        if tail != s { unlink(s); appendToTail(s) }
    }

    // MARK: adding and forgetting

    /// A new thread rooted at `key`, making room first if the ledger is full. Callers look the
    /// key up first: one key, one thread (the snapshot reader refuses duplicates).
    mutating func insert(key: MessageKey, audience: Int, now: Int64) -> Int32 {
        assert(index[key] == nil, "a thread with key \(key) exists already")
        if count >= limits.maxThreads { evictOne(now: now) }
        let record = ThreadRecord(key: key, audience: audience, now: now)
        let s: Int32
        if let f = freeSlots.popLast() {
            s = f
            slots[Int(s)] = record
        } else {
            s = Int32(slots.count)
            slots.append(record)
        }
        count += 1
        appendToTail(s)
        index[key] = s
        return s
    }

    /// Points one more Message-ID at a thread, within the per-thread bound.
    mutating func link(_ key: MessageKey, to s: Int32) {
        if let existing = index[key] {
            if existing == s { return }
            // The id belonged to another thread (a reply that merged two ids); leave it there:
            // first come, first kept, so one message cannot steal a storm's id.
            return
        }
        guard slots[Int(s)].messages.count < limits.maxMessagesPerThread else { return }
        index[key] = s
        slots[Int(s)].messages.append(key)
    }

    mutating func setSubjectHash(_ h: UInt64, for s: Int32) {
        guard h != 0 else { return }
        let old = slots[Int(s)].subjectHash
        if old == h { subjects[h] = s; return }
        if old != 0, subjects[old] == s { subjects[old] = nil }
        slots[Int(s)].subjectHash = h
        subjects[h] = s
    }

    mutating func remove(_ s: Int32) {
        let r = slots[Int(s)]
        unlink(s)
        if index[r.key] == s { index[r.key] = nil }
        for k in r.messages where index[k] == s { index[k] = nil }
        if r.subjectHash != 0, subjects[r.subjectHash] == s { subjects[r.subjectHash] = nil }
        slots[Int(s)] = ThreadRecord(key: MessageKey(rawValue: 0), audience: 0, now: 0)
        freeSlots.append(s)
        count -= 1
    }

    /// Forgets the least recently used thread, passing over a few blocked ones (a storm that
    /// went quiet for a while must not be pushed out by a flood of fresh ids).
    mutating func evictOne(now: Int64) {
        var s = head
        var looked = 0
        while s >= 0, looked < 8, slots[Int(s)].isBlocked(at: now) {
            s = slots[Int(s)].next
            looked += 1
        }
        if s < 0 || looked == 8 { s = head }
        guard s >= 0 else { return }
        remove(s)
        evictions += 1
    }

    /// Forgets up to `budget` threads unused for longer than the TTL, oldest first; called on
    /// every decision so the work is spread thin.
    mutating func expireIdle(now: Int64, budget: Int = 2) {
        var n = 0
        while n < budget, head >= 0 {
            let r = slots[Int(head)]
            guard r.lastSeen + limits.threadTTL < now, !r.isBlocked(at: now) else { return }
            remove(head)
            n += 1
        }
    }

    // MARK: learned sizes

    mutating func learn(_ key: String, size: Int) {
        if let old = learned[key] {
            if size > old {
                learned[key] = size
                learnedByHash[MessageKey(key).rawValue] = size
            }
            return
        }
        guard learned.count < limits.maxLearnedSizes else { return }
        learned[key] = size
        learnedByHash[MessageKey(key).rawValue] = size
    }

    // MARK: walking

    /// Slots from least to most recently used.
    var slotsInOrder: [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(count)
        var s = head
        while s >= 0 { out.append(s); s = slots[Int(s)].next }
        return out
    }
}

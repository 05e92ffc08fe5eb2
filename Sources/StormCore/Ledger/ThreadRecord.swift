/// One passed reply-all, remembered while it is inside the window.
struct WindowEntry: Equatable, Sendable {
    var at: Int64
    var audience: Int
}

/// What the ledger remembers about one thread. Kept compact: a million of these must fit in a
/// few hundred megabytes, so the texts share one byte buffer, and everything about reply-alls
/// (most threads never see one) lives in a separate, shared-on-copy `ThreadActivity`.
struct ThreadRecord: Sendable {
    /// The thread's id: the key of its root Message-ID.
    var key: MessageKey
    /// Largest audience any message of the thread reached.
    var audience: Int
    var firstSeen: Int64
    var lastSeen: Int64
    /// End of the current block; 0 when the thread is not blocked.
    var blockedUntil: Int64 = 0
    /// Hash of the subject's base (without Re:), for replies that carry no ids; 0 = none.
    var subjectHash: UInt64 = 0
    /// Root Message-ID, subject and original author, NUL-separated, each cut short.
    var text: [UInt8] = []
    /// Reply-all activity; no storage until the first reply-all.
    var activity = ActivityBox()
    /// Least-recently-used list links (slot numbers, -1 for none).
    var prev: Int32 = -1
    var next: Int32 = -1

    /// Last time a reply-all (passed or stopped) arrived; drives quiet release.
    var lastReplyAll: Int64 {
        get { activity.value?.lastReplyAll ?? 0 }
        _modify { yield &activity.unique.lastReplyAll }
    }
    /// When the current (or last) storm tripped; 0 when it never did.
    var trippedAt: Int64 {
        get { activity.value?.trippedAt ?? 0 }
        _modify { yield &activity.unique.trippedAt }
    }
    var passedTotal: UInt32 {
        get { activity.value?.passedTotal ?? 0 }
        _modify { yield &activity.unique.passedTotal }
    }
    var stoppedTotal: UInt32 {
        get { activity.value?.stoppedTotal ?? 0 }
        _modify { yield &activity.unique.stoppedTotal }
    }
    var deliveriesPrevented: UInt64 {
        get { activity.value?.deliveriesPrevented ?? 0 }
        _modify { yield &activity.unique.deliveriesPrevented }
    }
    /// Passed reply-alls inside the window, oldest first.
    var window: [WindowEntry] {
        get { activity.value?.window ?? [] }
        _modify { yield &activity.unique.window }
    }
    /// Hashes of distinct reply-all senders, capped at `maxRepliers`.
    var repliers: [UInt64] {
        get { activity.value?.repliers ?? [] }
        _modify { yield &activity.unique.repliers }
    }
    /// Keys besides `key` that the index maps to this thread (so eviction can remove them).
    var messages: [MessageKey] {
        get { activity.value?.messages ?? [] }
        _modify { yield &activity.unique.messages }
    }
    var storms: UInt16 {
        get { activity.value?.storms ?? 0 }
        _modify { yield &activity.unique.storms }
    }

    static let maxRepliers = 1_024
    static let maxRootIDBytes = 120
    static let maxSubjectBytes = 120
    static let maxAuthorBytes = 120

    init(key: MessageKey, audience: Int, now: Int64) {
        self.key = key
        self.audience = audience
        self.firstSeen = now
        self.lastSeen = now
    }

    func isBlocked(at now: Int64) -> Bool { blockedUntil > now }

    /// Sets the three texts, each cut at a character boundary, keeping ones already known when
    /// a new value is empty (a reply may know the subject while the root id came from References).
    mutating func setText(rootID: String?, subject: String?, author: String?) {
        let old = texts
        func pick(_ new: String?, _ old: String, _ max: Int) -> [UInt8] {
            let s = (new?.isEmpty == false) ? new! : old
            return Array(ReplyTemplate.clean(s, maxBytes: max).utf8)
        }
        var t = pick(rootID, old.rootID, Self.maxRootIDBytes)
        t.append(0)
        t += pick(subject, old.subject, Self.maxSubjectBytes)
        t.append(0)
        t += pick(author, old.author, Self.maxAuthorBytes)
        text = t
    }

    /// True when the root-id part of `text` is not empty.
    var hasRootID: Bool { text.first.map { $0 != 0 } ?? false }

    /// True when the subject part of `text` is not empty (without decoding the texts).
    var hasSubject: Bool {
        guard let first = text.firstIndex(of: 0) else { return false }
        let next = text.index(after: first)
        return next < text.endIndex && text[next] != 0
    }

    /// The three texts, decoded.
    var texts: (rootID: String, subject: String, author: String) {
        if text.isEmpty { return ("", "", "") }
        let parts = text.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        func s(_ i: Int) -> String { i < parts.count ? String(decoding: parts[i], as: UTF8.self) : "" }
        return (s(0), s(1), s(2))
    }

    /// Drops window entries older than the window.
    mutating func prune(now: Int64, window: Int64) {
        let cutoff = now - window
        if let first = self.window.first, first.at <= cutoff {
            self.window.removeAll { $0.at <= cutoff }
        }
    }

    var deliveriesInWindow: Int { window.reduce(0) { $0 + $1.audience } }

    mutating func noteReplier(_ h: UInt64) {
        if repliers.count < Self.maxRepliers, !repliers.contains(h) { repliers.append(h) }
    }
}

/// Everything about a thread's reply-alls.
struct ThreadActivity: Sendable {
    var lastReplyAll: Int64 = 0
    var trippedAt: Int64 = 0
    var passedTotal: UInt32 = 0
    var stoppedTotal: UInt32 = 0
    var deliveriesPrevented: UInt64 = 0
    var window: [WindowEntry] = []
    var repliers: [UInt64] = []
    var messages: [MessageKey] = []
    var storms: UInt16 = 0
}

/// A thread's activity behind one optional reference, with copy-on-write value semantics like
/// Array's: a copy of the ledger (taken for a snapshot) shares the storage, and the first write
/// to a shared one copies it first, so the copy never sees a change.
struct ActivityBox: Sendable {
    /// Mutated only while uniquely referenced (checked in `unique`), as Array's buffer is.
    final class Storage: @unchecked Sendable {
        var value: ThreadActivity
        init(_ value: ThreadActivity) { self.value = value }
    }
    private var storage: Storage?

    var value: ThreadActivity? { storage?.value }

    /// The activity, made if missing and unshared, for writing in place.
    var unique: ThreadActivity {
        get { storage?.value ?? ThreadActivity() }
        _modify {
            if storage == nil {
                storage = Storage(ThreadActivity())
            } else if !isKnownUniquelyReferenced(&storage!) {
                storage = Storage(storage!.value)
            }
            yield &storage!.value
        }
    }
}

/// A thread as an admin sees it: for `breakwater storms`, `breakwater thread`, reports, metrics.
public struct ThreadSummary: Sendable, Equatable {
    /// The thread's key (16 hex digits when printed).
    public var key: MessageKey
    /// Root Message-ID without angle brackets, when known.
    public var rootID: String
    public var subject: String
    /// Original author (envelope sender of the root message), when known.
    public var author: String
    public var audience: Int
    public var firstSeen: Instant
    public var lastSeen: Instant
    /// Reply-alls that passed / were stopped, since the thread was first seen.
    public var repliesPassed: Int
    public var repliesStopped: Int
    /// Reply-alls that passed within the current window.
    public var repliesInWindow: Int
    public var deliveriesPrevented: Int
    /// Distinct senders of reply-alls (counted up to 1,024).
    public var distinctRepliers: Int
    /// When the last storm tripped, if one ever did.
    public var trippedAt: Instant?
    /// Until when reply-alls are blocked, if they are now.
    public var blockedUntil: Instant?
    /// How many times the thread tripped.
    public var storms: Int

    package init(key: MessageKey, rootID: String, subject: String, author: String, audience: Int, firstSeen: Instant,
                 lastSeen: Instant, repliesPassed: Int, repliesStopped: Int, repliesInWindow: Int,
                 deliveriesPrevented: Int, distinctRepliers: Int, trippedAt: Instant?, blockedUntil: Instant?, storms: Int) {
        self.key = key; self.rootID = rootID; self.subject = subject; self.author = author; self.audience = audience
        self.firstSeen = firstSeen; self.lastSeen = lastSeen; self.repliesPassed = repliesPassed
        self.repliesStopped = repliesStopped; self.repliesInWindow = repliesInWindow
        self.deliveriesPrevented = deliveriesPrevented; self.distinctRepliers = distinctRepliers
        self.trippedAt = trippedAt; self.blockedUntil = blockedUntil; self.storms = storms
    }
}

extension ThreadRecord {
    func summary(now: Int64) -> ThreadSummary {
        let t = texts
        return ThreadSummary(
            key: key, rootID: t.rootID, subject: t.subject, author: t.author, audience: audience,
            firstSeen: Instant(seconds: firstSeen), lastSeen: Instant(seconds: lastSeen),
            repliesPassed: Int(passedTotal), repliesStopped: Int(stoppedTotal),
            repliesInWindow: window.count, deliveriesPrevented: Int(deliveriesPrevented),
            distinctRepliers: repliers.count,
            trippedAt: trippedAt != 0 ? Instant(seconds: trippedAt) : nil,
            blockedUntil: isBlocked(at: now) ? Instant(seconds: blockedUntil) : nil,
            storms: Int(storms))
    }
}

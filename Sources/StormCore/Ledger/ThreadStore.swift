/// The thread state the storm rules read and change, and what admins ask of it; nothing more.
/// The rules (in `StormRules`) decide; a store only finds threads, records what the rules
/// decided, and keeps time (windows, block ends, idle threads). `ThreadLedger` is the in-memory
/// store; a second home for the same state (several hosts sharing it) fits behind this protocol
/// without any change to the rules.
///
/// Each `judge…` call is one atomic step: the store finds the thread, shows it to the rules as it
/// stands, and records their ruling before any other decision can see the thread. Two reply-alls
/// judged at once can therefore never both take the last place before the trip point. A store
/// may call `rule` more than once for one message (a shared store that finds the thread changed
/// under it asks again); a rule has no effect but its answer, and the last answer is recorded.
package protocol ThreadStore: Sendable {
    /// Learned list sizes by the hash (`MessageKey`) of their `local@domain` key, a copy the
    /// caller may keep; empty when none are learned. By hash, so a shared store never needs the
    /// address itself.
    var learnedByHash: [UInt64: Int] { get }
    /// Remembers that `address` (a `local@domain` key) reached at least `size` mailboxes.
    func learn(_ address: String, size: Int)

    /// Remembers a new message to a large audience as the start of its thread.
    func recordAnnouncement(_ a: Announcement, now: Instant) -> ThreadChange

    /// Finds the reply-all's thread (or starts one from its ids), ends a block that is due,
    /// drops window entries older than the window, asks `rule` what to do with the thread as it
    /// then stands, and records that ruling. A reply-all that already passed in the thread (its
    /// Message-ID again: a client retrying) is neither judged nor counted again; the change
    /// says `repeatedPass`.
    func judgeReplyAll(_ r: ReplyAll, policy: StormPolicy, now: Instant,
                       by rule: (ThreadState) -> ReplyAllRuling) -> ThreadChange

    /// For a reply that is not a reply-all: when one of `parents` names a known thread and `rule`
    /// stops the reply there, records the stop. Nil when no thread is known or the rule let it be.
    func judgeReply(parents: [MessageKey], audience: Int, now: Instant,
                    by rule: (ThreadState) -> Rule?) -> ThreadChange?

    // What admins and the daemon's timers ask and tell, by thread id (16 hex digits or a Message-ID).

    /// Threads blocked now or tripped since `since`, most recent trip first.
    func storms(now: Instant, since: Instant?) -> [ThreadSummary]
    /// One thread, or nil when none is known by that id.
    func thread(_ id: String, now: Instant) -> ThreadSummary?
    /// Lifts a block now; nil when the thread is not blocked.
    func release(_ id: String, now: Instant) -> StormEvent?
    /// Blocks a thread by hand until `until`, starting it when it is not known yet.
    func freeze(_ id: String, until: Instant, now: Instant) -> StormEvent
    /// Ends blocks that are due and forgets idle threads; the `expired` events.
    func sweep(now: Instant, policy: StormPolicy) -> [StormEvent]
    /// Counts over every thread, for stats and metrics.
    func totals(now: Instant) -> LedgerTotals
}

/// A thread as the rules see it at the moment they judge.
package struct ThreadState: Sendable, Equatable {
    /// The thread's key (its root Message-ID's).
    package var key: MessageKey
    /// The largest audience any of its messages reached.
    package var audience: Int
    /// The end of its block; nil when it is not blocked now.
    package var blockedUntil: Instant?
    /// Reply-alls that passed within the window.
    package var repliesInWindow: Int
    /// Deliveries those reply-alls cost (the sum of their audiences).
    package var deliveriesInWindow: Int

    /// True while reply-alls in the thread are blocked.
    package var isBlocked: Bool { blockedUntil != nil }

    package init(key: MessageKey, audience: Int, blockedUntil: Instant?, repliesInWindow: Int, deliveriesInWindow: Int) {
        self.key = key
        self.audience = audience
        self.blockedUntil = blockedUntil
        self.repliesInWindow = repliesInWindow
        self.deliveriesInWindow = deliveriesInWindow
    }
}

/// What the rules decided about a reply-all, for the store to record.
package struct ReplyAllRuling: Sendable, Equatable {
    /// A stopped reply-all names the rule that stopped it; nil means it passes and counts in
    /// the thread's window.
    package var stoppedBy: Rule?
    /// What happens to the thread's block.
    package var block: BlockChange?

    package init(stoppedBy: Rule? = nil, block: BlockChange? = nil) {
        self.stoppedBy = stoppedBy
        self.block = block
    }
}

/// A change to a thread's block.
package enum BlockChange: Sendable, Equatable {
    /// The storm trips: reply-alls are blocked until then (a `tripped` event).
    case trip(until: Instant)
    /// The block in force lasts at least until then.
    case extend(until: Instant)
}

/// The thread after the store recorded a ruling, and the storm events that caused.
package struct ThreadChange: Sendable, Equatable {
    package var thread: ThreadState
    /// The thread's subject (without Re:) and original author, when known: for reply texts and trims.
    package var subject: String
    package var author: String
    package var events: [StormEvent] = []
    /// True when the reply-all had passed in this thread before (the same Message-ID): it passes
    /// again and counts once.
    package var repeatedPass = false
    /// True when the store could not be asked and the site prefers a deferral (4xx) to a decision
    /// taken without it: nothing was recorded, and the rules defer the message.
    package var unavailable = false

    package init(thread: ThreadState, subject: String, author: String, events: [StormEvent] = [], repeatedPass: Bool = false) {
        self.thread = thread
        self.subject = subject
        self.author = author
        self.events = events
        self.repeatedPass = repeatedPass
    }

    /// The answer of a store that could not be asked, for a message to defer.
    package static func unavailable(_ key: MessageKey) -> ThreadChange {
        var c = ThreadChange(thread: ThreadState(key: key, audience: 0, blockedUntil: nil, repliesInWindow: 0, deliveriesInWindow: 0),
                             subject: "", author: "")
        c.unavailable = true
        return c
    }
}

/// A new message to a large audience (not a reply), as the store records it.
package struct Announcement: Sendable {
    /// The key of its own Message-ID (or of its subject when it has none).
    package var key: MessageKey
    package var subjectHash: UInt64
    package var subject: String
    /// The envelope sender's `local@domain`, the author a trim delivers to.
    package var author: String
    package var audience: Int
}

/// A reply-all, as the store needs it to find its thread and record it.
package struct ReplyAll: Sendable {
    /// The message's own id, linked to the thread when it passes (so replies to it find it).
    package var ownKey: MessageKey?
    /// Ids it replies to, nearest parent first (In-Reply-To, then References from the end).
    package var parentKeys: [MessageKey]
    /// The key that names a new thread when no parent is known: References' first id, else the parent's.
    package var rootKey: MessageKey
    package var rootID: String
    package var subjectHash: UInt64
    package var subject: String
    package var audience: Int
    package var senderHash: UInt64
}

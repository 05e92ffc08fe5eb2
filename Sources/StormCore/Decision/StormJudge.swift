/// What the engine knows about a reply-all when it asks the ledger to judge it.
struct ReplyAllFacts: Sendable {
    /// The message's own id, if it has one.
    var ownKey: MessageKey?
    /// Ids it replies to, nearest parent first (In-Reply-To, then References from the end).
    var parentKeys: [MessageKey]
    /// The id that names the thread when no parent is known: References' first, else the parent.
    var rootKey: MessageKey
    var rootID: String?
    var subjectHash: UInt64
    var subject: String
    var audience: Int
    var senderHash: UInt64
    var isAutomatic: Bool
    /// Sender, SASL user or client network is exempt.
    var senderExempt: Bool
}

/// A new large-audience message (not a reply).
struct AnnouncementFacts: Sendable {
    var key: MessageKey
    var rootID: String
    var subjectHash: UInt64
    var subject: String
    var author: String
    var audience: Int
}

/// The ledger's answer: why, which thread, its figures, and the storm events caused.
struct Judgment: Sendable {
    var reason: Reason
    var thread: MessageKey
    var figures = Figures()
    var events: [StormEvent] = []
    var subject = ""
    var author = ""
}

extension LedgerState {
    /// Remembers a new message to a large audience as the start of a thread.
    mutating func recordAnnouncement(_ a: AnnouncementFacts, now: Int64) -> Judgment {
        expireIdle(now: now)
        let s: Int32
        if let found = index[a.key] {
            s = found
            slots[Int(s)].audience = max(slots[Int(s)].audience, a.audience)
            touch(s, now: now)
        } else {
            s = insert(key: a.key, audience: a.audience, now: now)
        }
        // The root id's text is kept only once the thread sees a reply-all (it is then known
        // again from References): most announcements never do, and it is their largest text.
        slots[Int(s)].setText(rootID: nil, subject: a.subject, author: a.author)
        setSubjectHash(a.subjectHash, for: s)
        return judgment(.announcement, slot: s, now: now)
    }

    /// Judges one reply-all: finds or makes its thread, ends an expired block, then applies the
    /// rules in order: exemption, automatic reply, active block, hard gate, budget, trip count.
    mutating func judgeReplyAll(_ r: ReplyAllFacts, policy: StormPolicy, exemptThreads: Set<MessageKey>,
                                now: Int64) -> Judgment {
        expireIdle(now: now)
        var events: [StormEvent] = []
        let s: Int32
        // The root key last: a reply tied by subject alone may find its thread's subject gone
        // (taken over by another thread, then evicted) while the thread itself is still there,
        // and a second thread under the same key would make the snapshot unreadable.
        if let found = find(r.parentKeys) ?? (r.parentKeys.isEmpty ? find(subjectHash: r.subjectHash) : nil)
            ?? index[r.rootKey] {
            s = found
            touch(s, now: now)
        } else {
            // The parent was never seen (another MX, before a restart, or forgotten): the reply
            // starts the thread itself, so a storm of such replies is still caught.
            s = insert(key: r.rootKey, audience: r.audience, now: now)
            for k in r.parentKeys { link(k, to: s) }
            slots[Int(s)].setText(rootID: r.rootID, subject: r.subject, author: nil)
            setSubjectHash(r.subjectHash, for: s)
        }
        if (!r.subject.isEmpty && !slots[Int(s)].hasSubject) || !slots[Int(s)].hasRootID {
            slots[Int(s)].setText(rootID: r.rootID, subject: r.subject, author: nil)
        }
        slots[Int(s)].audience = max(slots[Int(s)].audience, r.audience)
        if let e = endBlockIfDue(s, policy: policy, now: now) { events.append(e) }
        slots[Int(s)].prune(now: now, window: policy.window)
        slots[Int(s)].lastReplyAll = now

        func stop(_ rule: Rule) -> Judgment {
            slots[Int(s)].stoppedTotal &+= 1
            slots[Int(s)].deliveriesPrevented &+= UInt64(r.audience)
            var j = judgment(.stopped(rule), slot: s, now: now)
            j.figures.audience = r.audience
            j.figures.deliveriesPrevented = r.audience
            j.events = events
            return j
        }

        let threadExempt = !exemptThreads.isEmpty && exemptThreads.contains(slots[Int(s)].key)
        if !(r.senderExempt || threadExempt) {
            if r.isAutomatic, policy.stopAutoReplies, r.audience >= policy.autoReplyMinAudience {
                return stop(.autoReply)
            }
            if slots[Int(s)].isBlocked(at: now) {
                if policy.extendBlockWhileActive {
                    let until = now + policy.blockDuration
                    if until > slots[Int(s)].blockedUntil {
                        slots[Int(s)].blockedUntil = until
                    }
                }
                return stop(.storm)
            }
            if let gate = policy.hardGate, r.audience >= gate {
                return stop(.hardGate)
            }
            if let budget = policy.deliveryBudget,
               slots[Int(s)].deliveriesInWindow + r.audience > budget {
                events.append(trip(s, policy: policy, now: now))
                return stop(.budget)
            }
        }

        // Passes: it counts towards the storm, and later replies to it find the thread.
        slots[Int(s)].window.append(WindowEntry(at: now, audience: r.audience))
        slots[Int(s)].passedTotal &+= 1
        slots[Int(s)].noteReplier(r.senderHash)
        if let own = r.ownKey { link(own, to: s) }
        if slots[Int(s)].window.count >= policy.tripReplies, !slots[Int(s)].isBlocked(at: now) {
            events.append(trip(s, policy: policy, now: now))
        }
        var j = judgment(r.senderExempt || threadExempt ? .exempt : .replyAllWithinLimits, slot: s, now: now)
        j.figures.audience = r.audience
        j.events = events
        return j
    }

    /// Starts a block on a thread.
    mutating func trip(_ s: Int32, policy: StormPolicy, now: Int64) -> StormEvent {
        slots[Int(s)].blockedUntil = now + policy.blockDuration
        slots[Int(s)].trippedAt = now
        slots[Int(s)].storms &+= 1
        return event(.tripped, slot: s, now: now)
    }

    /// Ends a block whose time is up, or that went quiet for `quietRelease`; the window starts
    /// afresh, so a thread must earn a new storm.
    mutating func endBlockIfDue(_ s: Int32, policy: StormPolicy, now: Int64) -> StormEvent? {
        let r = slots[Int(s)]
        guard r.blockedUntil != 0 else { return nil }
        let quiet = policy.quietRelease.map { r.lastReplyAll != 0 && now - r.lastReplyAll >= $0 } ?? false
        guard r.blockedUntil <= now || quiet else { return nil }
        slots[Int(s)].blockedUntil = 0
        slots[Int(s)].window.removeAll()
        return event(.expired, slot: s, now: now)
    }

    func event(_ kind: StormEvent.Kind, slot s: Int32, now: Int64) -> StormEvent {
        let r = slots[Int(s)]
        return StormEvent(kind: kind, thread: r.key, subject: r.texts.subject, at: Instant(seconds: now),
                          blockedUntil: r.blockedUntil != 0 ? Instant(seconds: r.blockedUntil) : nil,
                          repliesInWindow: r.window.count, threadAudience: r.audience)
    }

    func judgment(_ reason: Reason, slot s: Int32, now: Int64) -> Judgment {
        let r = slots[Int(s)]
        var j = Judgment(reason: reason, thread: r.key)
        let t = r.texts
        j.subject = t.subject
        j.author = t.author
        j.figures.threadAudience = r.audience
        j.figures.repliesInWindow = r.window.count
        j.figures.deliveriesInWindow = r.deliveriesInWindow
        if r.isBlocked(at: now) { j.figures.blockedUntil = Instant(seconds: r.blockedUntil) }
        return j
    }
}

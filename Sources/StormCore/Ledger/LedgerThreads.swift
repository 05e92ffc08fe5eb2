/// The ledger's side of `ThreadStore`: finding a message's thread, recording what the rules
/// ruled, keeping time. Nothing here decides whether a message passes.
extension ThreadLedger: ThreadStore {
    package func recordAnnouncement(_ a: Announcement, now: Instant) -> ThreadChange {
        state.withLock { $0.recordAnnouncement(a, now: now.seconds) }
    }

    package func judgeReplyAll(_ r: ReplyAll, policy: StormPolicy, now: Instant,
                               by rule: (ThreadState) -> ReplyAllRuling) -> ThreadChange {
        state.withLock { st in
            let now = now.seconds
            st.expireIdle(now: now)
            var events: [StormEvent] = []
            let s = st.thread(of: r, now: now)
            // why: a passed reply-all's own id is linked to its thread; the same id again is the
            // client retrying a message already counted.
            if let own = r.ownKey, own != st.slots[Int(s)].key, st.index[own] == s {
                var change = st.change(s, now: now, events: [])
                change.repeatedPass = true
                return change
            }
            if let e = st.endBlockIfDue(s, policy: policy, now: now) { events.append(e) }
            st.slots[Int(s)].prune(now: now, window: policy.window)
            st.slots[Int(s)].lastReplyAll = now
            let ruling = rule(st.view(s, now: now))
            if ruling.stoppedBy != nil {
                st.countStop(s, audience: r.audience)
            } else {
                st.slots[Int(s)].window.append(WindowEntry(at: now, audience: r.audience))
                st.slots[Int(s)].passedTotal &+= 1
                st.slots[Int(s)].noteReplier(r.senderHash)
                // why: replies to this one then find the thread.
                if let own = r.ownKey { st.link(own, to: s) }
            }
            switch ruling.block {
            case .trip(let until)?:
                events.append(st.trip(s, until: until.seconds, now: now))
            case .extend(let until)?:
                if until.seconds > st.slots[Int(s)].blockedUntil { st.slots[Int(s)].blockedUntil = until.seconds }
            case nil:
                break
            }
            return st.change(s, now: now, events: events)
        }
    }

    package func judgeReply(parents: [MessageKey], audience: Int, now: Instant,
                            by rule: (ThreadState) -> Rule?) -> ThreadChange? {
        state.withLock { st in
            let now = now.seconds
            guard let s = st.find(parents), rule(st.view(s, now: now)) != nil else { return nil }
            st.touch(s, now: now)
            st.countStop(s, audience: audience)
            return st.change(s, now: now, events: [])
        }
    }
}

extension LedgerState {
    /// Remembers a new message to a large audience as the start of a thread.
    mutating func recordAnnouncement(_ a: Announcement, now: Int64) -> ThreadChange {
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
        return change(s, now: now, events: [])
    }

    /// The reply-all's thread: found by its parents, by its subject when it names no parent, or
    /// by its root key; else started from its own ids.
    mutating func thread(of r: ReplyAll, now: Int64) -> Int32 {
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
        return s
    }

    mutating func countStop(_ s: Int32, audience: Int) {
        slots[Int(s)].stoppedTotal &+= 1
        slots[Int(s)].deliveriesPrevented &+= UInt64(audience)
    }

    /// Starts a block on a thread.
    mutating func trip(_ s: Int32, until: Int64, now: Int64) -> StormEvent {
        slots[Int(s)].blockedUntil = until
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

    /// The thread as the rules see it.
    func view(_ s: Int32, now: Int64) -> ThreadState {
        let r = slots[Int(s)]
        return ThreadState(key: r.key, audience: r.audience,
                          blockedUntil: r.isBlocked(at: now) ? Instant(seconds: r.blockedUntil) : nil,
                          repliesInWindow: r.window.count, deliveriesInWindow: r.deliveriesInWindow)
    }

    func change(_ s: Int32, now: Int64, events: [StormEvent]) -> ThreadChange {
        let t = slots[Int(s)].texts
        return ThreadChange(thread: view(s, now: now), subject: t.subject, author: t.author, events: events)
    }
}

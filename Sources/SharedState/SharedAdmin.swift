import BreakwaterConfig
package import StormCore

/// What admins ask of the shared view: storms, one thread, release, freeze. Each answer comes
/// from the server while it is up (this host's mirror follows), else from this host's ledger.
extension SharedThreadStore {
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

    func summary(_ key: MessageKey, calls: SharedCalls, now: Instant) throws(RedisError) -> ThreadSummary? {
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
    static func threadKey(_ id: String, calls: SharedCalls) throws(RedisError) -> MessageKey? {
        let name = ThreadName(id)
        if let hex = name.hexKey, let found = try calls.resolve(hex) { return found }
        return try calls.resolve(name.messageKey)
    }
}

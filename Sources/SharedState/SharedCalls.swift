import StormCore

/// A thread as a shared-state script returns it, in the server's clock.
struct SharedThread: Sendable, Equatable {
    /// The server's time when the script ran.
    var serverNow: Int64
    var key: MessageKey
    var version: Int64
    var audience: Int
    /// 0 when not blocked now.
    var blockedUntil: Int64
    var repliesInWindow: Int
    var deliveriesInWindow: Int
    var rootID: String
    var subject: String
    var trippedAt: Int64
    var storms: Int

    /// The thread as the rules see it, its times moved to the local clock (`localNow` is when the
    /// caller asked: the two clocks are taken to differ by `localNow - serverNow`).
    func state(localNow: Instant) -> ThreadState {
        ThreadState(key: key, audience: audience, blockedUntil: local(blockedUntil, localNow),
                    repliesInWindow: repliesInWindow, deliveriesInWindow: deliveriesInWindow)
    }

    /// A server time on the local clock; nil for 0 (none).
    func local(_ server: Int64, _ localNow: Instant) -> Instant? {
        server == 0 ? nil : Instant(seconds: localNow.seconds + (server - serverNow))
    }
}

/// What the reply-all script answered.
enum ReplyAllAnswer: Equatable {
    /// The thread changed since the rule saw it (or the rule has not seen it yet): ask again.
    case state(SharedThread)
    /// The ruling was recorded; the storm events it caused.
    case recorded(SharedThread, events: [StormEvent.Kind])
    /// The message had passed in this thread before: nothing was recorded.
    case repeated(SharedThread)
}

/// A thread's totals for an admin.
struct SharedTotals: Equatable {
    var firstSeen: Int64, lastSeen: Int64, passed: Int, stopped: Int, prevented: Int, repliers: Int
}

/// The shared-state scripts as Swift calls on one connection: arguments in, parsed answers out.
/// A reply that does not have the shape a script returns is an error, never a guess.
struct SharedCalls {
    let connection: RedisConnection
    let prefix: String

    /// Sixteen hex digits, as the log names a key (`MessageKey.description`).
    static func hex(_ key: MessageKey) -> String { key.description }
    static func hex(_ value: UInt64) -> String { MessageKey(rawValue: value).description }

    func announce(_ a: Announcement, ttl: Int64) throws(RedisError) -> SharedThread {
        let reply = try connection.evalSHA(SharedScripts.announce, keys: [], arguments: [
            prefix, String(ttl), Self.hex(a.key), String(a.audience),
            a.subjectHash == 0 ? "" : Self.hex(a.subjectHash), a.subject])
        return try Self.thread(reply, at: 0)
    }

    /// Runs the reply-all script; `expected` nil only looks, else records `ruling` when the
    /// reply-all's thread is still that thread at that version.
    func replyAll(_ r: ReplyAll, policy: StormPolicy, ttl: Int64, links: Int, expected: (thread: MessageKey, version: Int64)?,
                  ruling: ReplyAllRuling, blockSeconds: Int64) throws(RedisError) -> ReplyAllAnswer {
        var args = [prefix, String(policy.window), String(ttl), String(policy.quietRelease ?? -1),
                    String(expected?.version ?? -1), ruling.stoppedBy?.rawValue ?? ""]
        switch ruling.block {
        case .trip?: args.append("trip")
        case .extend?: args.append("extend")
        case nil: args.append("")
        }
        args += [String(max(0, blockSeconds)), String(r.audience), r.ownKey.map { Self.hex($0) } ?? "",
                 Self.hex(r.rootKey), r.subjectHash == 0 ? "" : Self.hex(r.subjectHash), r.rootID, r.subject,
                 r.senderHash == 0 ? "" : Self.hex(r.senderHash), String(links),
                 expected.map { Self.hex($0.thread) } ?? ""]
        args += r.parentKeys.map { Self.hex($0) }
        let reply = try connection.evalSHA(SharedScripts.replyAll, keys: [], arguments: args)
        guard case let .array(items) = reply, items.count >= 12, let kind = items[1].text else {
            throw Self.shape(reply, "reply-all")
        }
        var trimmed = items
        trimmed.remove(at: 1)
        let thread = try Self.thread(.array(Array(trimmed.prefix(11))), at: 0)
        switch kind {
        case "state": return .state(thread)
        case "repeat": return .repeated(thread)
        case "ok":
            let events = items.dropFirst(12).compactMap { $0.text.flatMap(StormEvent.Kind.init(rawValue:)) }
            return .recorded(thread, events: events)
        default: throw Self.shape(reply, "reply-all")
        }
    }

    /// The thread of the first known parent; nil when none is known.
    func find(_ parents: [MessageKey]) throws(RedisError) -> SharedThread? {
        guard !parents.isEmpty else { return nil }
        let reply = try connection.evalSHA(SharedScripts.find, keys: [], arguments: [prefix] + parents.map { Self.hex($0) })
        return try Self.optionalThread(reply)
    }

    func countStop(_ thread: MessageKey, audience: Int, ttl: Int64) throws(RedisError) {
        _ = try connection.evalSHA(SharedScripts.countStop, keys: [], arguments: [
            prefix, String(ttl), Self.hex(thread), String(audience)])
    }

    /// Lifts a block; nil when the thread was not blocked.
    func release(_ thread: MessageKey, ttl: Int64) throws(RedisError) -> SharedThread? {
        try Self.optionalThread(connection.evalSHA(SharedScripts.release, keys: [], arguments: [prefix, String(ttl), Self.hex(thread)]))
    }

    /// How a block is written.
    enum BlockMode: String { case freeze = "0", merge = "1", restore = "2" }

    func block(_ thread: MessageKey, seconds: Int64, rootID: String, subject: String, audience: Int,
               mode: BlockMode, ttl: Int64) throws(RedisError) -> SharedThread {
        let reply = try connection.evalSHA(SharedScripts.block, keys: [], arguments: [
            prefix, String(ttl), Self.hex(thread), String(max(1, seconds)), rootID, subject, String(audience), mode.rawValue])
        return try Self.thread(reply, at: 0)
    }

    func summary(_ thread: MessageKey) throws(RedisError) -> (SharedThread, SharedTotals)? {
        let reply = try connection.evalSHA(SharedScripts.summary, keys: [], arguments: [prefix, Self.hex(thread)])
        guard case let .array(items) = reply else { throw Self.shape(reply, "summary") }
        if items.count == 1 { return nil }
        guard items.count == 17 else { throw Self.shape(reply, "summary") }
        let t = try Self.thread(reply, at: 0)
        let n = items[11...].map { $0.integer ?? 0 }
        return (t, SharedTotals(firstSeen: n[0], lastSeen: n[1], passed: Int(n[2]), stopped: Int(n[3]),
                                prevented: Int(n[4]), repliers: Int(n[5])))
    }

    /// The thread a Message-ID (by key) belongs to, or the key itself when it names a thread.
    func resolve(_ key: MessageKey) throws(RedisError) -> MessageKey? {
        let reply = try connection.command(["GET", "\(prefix){m:\(Self.hex(key))}"])
        guard let text = reply.text else { return nil }
        return UInt64(text, radix: 16).map(MessageKey.init(rawValue:))
    }

    /// Threads listed as storms, most recent first.
    func stormKeys() throws(RedisError) -> [MessageKey] {
        let reply = try connection.command(["ZREVRANGE", "\(prefix)storms", "0", "-1"])
        guard case let .array(items) = reply else { throw Self.shape(reply, "storms") }
        return items.compactMap { $0.text.flatMap { UInt64($0, radix: 16) }.map(MessageKey.init(rawValue:)) }
    }

    /// Raises the given learned sizes and returns every size the shared state knows.
    func learn(_ sizes: [UInt64: Int], ttl: Int64, limit: Int) throws(RedisError) -> [UInt64: Int] {
        var args = [prefix, String(ttl), String(limit)]
        for (k, v) in sizes { args += [Self.hex(k), String(v)] }
        let reply = try connection.evalSHA(SharedScripts.learn, keys: [], arguments: args)
        guard case let .array(items) = reply, items.count % 2 == 0 else { throw Self.shape(reply, "learn") }
        var out: [UInt64: Int] = [:]
        var i = 0
        while i < items.count {
            if let k = items[i].text.flatMap({ UInt64($0, radix: 16) }), let v = items[i + 1].text.flatMap({ Int($0) }) {
                out[k] = v
            }
            i += 2
        }
        return out
    }

    // MARK: parsing

    private static func optionalThread(_ reply: RedisReply) throws(RedisError) -> SharedThread? {
        guard case let .array(items) = reply else { throw shape(reply, "thread") }
        return items.count == 1 ? nil : try thread(reply, at: 0)
    }

    /// `{ now, thread, version, audience, blockedUntil, inWindow, deliveries, rootID, subject,
    /// trippedAt, storms, ... }`.
    private static func thread(_ reply: RedisReply, at offset: Int) throws(RedisError) -> SharedThread {
        guard case let .array(items) = reply, items.count >= offset + 11,
              let now = items[offset].integer, let key = items[offset + 1].text.flatMap({ UInt64($0, radix: 16) }),
              let version = items[offset + 2].integer, let audience = items[offset + 3].integer,
              let blocked = items[offset + 4].integer, let inWindow = items[offset + 5].integer,
              let deliveries = items[offset + 6].integer, let trippedAt = items[offset + 9].integer,
              let storms = items[offset + 10].integer else {
            throw shape(reply, "thread")
        }
        return SharedThread(serverNow: now, key: MessageKey(rawValue: key), version: version, audience: Int(audience),
                            blockedUntil: blocked, repliesInWindow: Int(inWindow), deliveriesInWindow: Int(deliveries),
                            rootID: items[offset + 7].text ?? "", subject: items[offset + 8].text ?? "",
                            trippedAt: trippedAt, storms: Int(storms))
    }

    private static func shape(_ reply: RedisReply, _ what: String) -> RedisError {
        RedisError(.protocolError, "the \(what) script answered in an unexpected shape (\(String(describing: reply).prefix(120)))",
                   connectionIsUnusable: false)
    }
}

import Dispatch
import Synchronization
import Testing
@testable import SharedState
import StormCore
import TestSupport

// Two engines (two hosts), each with its own ledger and a SharedThreadStore on one real Redis:
// the storm is counted once across both, blocks and admin actions reach both, and a lost server
// leaves each host judging on what it saw.

/// One host: its engine and its store.
private final class LogLines: Sendable {
    let lines = Mutex<[String]>([])
}

private final class Host: Sendable {
    let store: SharedThreadStore
    let engine: StormEngine
    let logs = LogLines()

    init(_ redis: PrivateRedis, policy: StormPolicy, tempfail: Bool = false) {
        let (directory, problems) = AudienceDirectory.load([.sizesText(name: "sizes", text: "all@corp.example 5000\nstaff@corp.example 300\n")])
        precondition(problems.isEmpty)
        let ledger = ThreadLedger()
        let logs = self.logs
        store = SharedThreadStore(settings: .init(address: redis.address, timeout: .milliseconds(200), tempfail: tempfail),
                                  local: ledger, log: { _, line in logs.lines.withLock { $0.append(line) } })
        engine = StormEngine(policy: policy, directory: directory, ledger: ledger, store: store)
        store.maintain(now: clock)
    }

    func decide(_ m: MessageFacts, _ offset: Int64 = 0) -> Verdict { engine.decide(m, at: clock + offset) }
    var logText: String { logs.lines.withLock { $0.joined(separator: "\n") } }
}

private let clock = Instant(seconds: 1_700_000_000)

private func message(_ n: Int, replyingTo parent: String? = nil, to list: String = "all@corp.example",
                     automatic: Bool = false) -> MessageFacts {
    var h = MessageHeaders()
    h.record(name: "Message-ID", value: "<m\(n)@corp.example>")
    h.record(name: "Subject", value: parent == nil ? "Town hall" : "Re: Town hall")
    if let parent { h.record(name: "In-Reply-To", value: "<\(parent)>"); h.record(name: "References", value: "<\(parent)>") }
    if automatic { h.record(name: "Auto-Submitted", value: "auto-replied") }
    return MessageFacts(sender: "<p\(n)@corp.example>", recipients: ["<\(list)>"], headers: h)
}

private func policy(trip: Int = 4) -> StormPolicy {
    var p = StormPolicy()
    p.hardGate = nil
    p.tripReplies = trip
    return p
}

@Suite(withRedis) struct SharedThreadStoreTests {
    @Test func aStormSplitBetweenTwoHostsTripsOnceAtTheTripPoint() throws {
        let redis = try PrivateRedis()
        let a = Host(redis, policy: policy()), b = Host(redis, policy: policy())
        #expect(a.store.isUp && b.store.isUp)
        #expect(a.decide(message(0)).reason == .announcement)
        let hosts = [a, b]
        let verdicts = (1...10).map { n in hosts[n % 2].decide(message(n, replyingTo: "m0@corp.example"), Int64(n)) }
        #expect(verdicts.prefix(4).allSatisfy { $0.action == .accept }, "\(verdicts.map(\.reason))")
        #expect(verdicts.dropFirst(4).allSatisfy { $0.rule == .storm }, "\(verdicts.map(\.reason))")
        // Both hosts mirror the block, so either could go on alone.
        let key = try #require(verdicts[0].thread)
        for h in hosts { #expect(h.store.local.thread(key.description, now: clock + 11)?.blockedUntil != nil) }
        // The shared view counts every reply-all once.
        let s = try #require(b.store.thread("m0@corp.example", now: clock + 11))
        #expect(s.repliesPassed == 4)
        #expect(s.repliesStopped == 6)
        #expect(s.blockedUntil != nil)
        // A direct reply to the author passes on either host.
        var direct = message(99, replyingTo: "m0@corp.example", to: "p0@corp.example")
        direct.headers.record(name: "X-Test", value: "direct")
        #expect(a.decide(direct, 12).reason == .directReply)
        #expect(b.decide(direct, 12).reason == .directReply)
    }

    @Test func eightRacingConnectionsOnTwoHostsLetExactlyTheTripCountThrough() throws {
        let redis = try PrivateRedis()
        let a = Host(redis, policy: policy(trip: 5)), b = Host(redis, policy: policy(trip: 5))
        #expect(b.decide(message(0)).reason == .announcement)
        let passed = Atomic<Int>(0), stopped = Atomic<Int>(0)
        let hosts = [a, b]
        let group = DispatchGroup()
        for worker in 0..<8 { DispatchQueue.global().async(group: group) {
            for i in 0..<5 {
                let n = 1 + worker * 10 + i
                let v = hosts[worker % 2].decide(message(n, replyingTo: "m0@corp.example"), 1)
                if v.action == .accept { passed.add(1, ordering: .relaxed) } else if v.rule == .storm { stopped.add(1, ordering: .relaxed) }
            }
        } }
        group.wait()
        #expect(passed.load(ordering: .relaxed) == 5)
        #expect(stopped.load(ordering: .relaxed) == 35)
        #expect(a.store.callCounts.local == 0 && b.store.callCounts.local == 0, "every decision went to the server")
    }

    @Test func theBudgetAndTheHardGateHoldAcrossHosts() throws {
        let redis = try PrivateRedis()
        var p = policy(trip: 100)
        p.deliveryBudget = 12_000
        let a = Host(redis, policy: p), b = Host(redis, policy: p)
        #expect(a.decide(message(0)).reason == .announcement)
        // 5,000 per reply-all: two fit in 12,000 deliveries, the third would not.
        let verdicts = (1...5).map { n in [a, b][n % 2].decide(message(n, replyingTo: "m0@corp.example"), Int64(n)) }
        #expect(verdicts.map(\.action) == [.accept, .accept, .reject, .reject, .reject], "\(verdicts.map(\.reason))")
        #expect(verdicts[2].rule == .budget)

        var g = policy(trip: 100)
        g.hardGate = 1_000
        let c = Host(redis, policy: g)
        #expect(c.decide(message(50, replyingTo: "m0@corp.example"), 9).rule != nil)
    }

    @Test func aRetriedReplyAllCountsOnce() throws {
        let redis = try PrivateRedis()
        let a = Host(redis, policy: policy(trip: 3)), b = Host(redis, policy: policy(trip: 3))
        #expect(a.decide(message(0)).reason == .announcement)
        #expect(a.decide(message(1, replyingTo: "m0@corp.example"), 1).action == .accept)
        // The client retries message 1 on the other host: it passes again and is not counted.
        let again = b.decide(message(1, replyingTo: "m0@corp.example"), 2)
        #expect(again.action == .accept)
        #expect(b.store.thread("m0@corp.example", now: clock + 2)?.repliesPassed == 1)
        #expect(b.decide(message(2, replyingTo: "m0@corp.example"), 3).action == .accept)
        #expect(a.decide(message(3, replyingTo: "m0@corp.example"), 4).action == .accept, "the third distinct reply-all is the trip point")
        #expect(b.decide(message(4, replyingTo: "m0@corp.example"), 5).rule == .storm)
        // A stopped one retried is stopped again, and counted once.
        #expect(a.decide(message(4, replyingTo: "m0@corp.example"), 6).rule == .storm)
        #expect(a.store.thread("m0@corp.example", now: clock + 6)?.repliesStopped == 1)
    }

    @Test func aThreadStartedOnOneHostIsOneThreadOnTheOtherAndAdminActionsReachBoth() throws {
        let redis = try PrivateRedis()
        let a = Host(redis, policy: policy(trip: 2)), b = Host(redis, policy: policy(trip: 2))
        let start = a.decide(message(0))
        for n in 1...3 { _ = b.decide(message(n, replyingTo: "m0@corp.example"), Int64(n)) }
        let s = try #require(a.store.thread("m0@corp.example", now: clock + 4))
        #expect(s.key == start.thread)
        #expect(s.repliesPassed == 2 && s.repliesStopped == 1)
        #expect(s.author == "p0@corp.example", "host A saw the announcement and knows its author")
        #expect(a.store.storms(now: clock + 4, since: nil).map(\.key) == [s.key])

        // Released on A: the next reply-all passes on B.
        #expect(a.store.release(s.key.description, now: clock + 5) != nil)
        #expect(b.decide(message(4, replyingTo: "m0@corp.example"), 6).action == .accept)
        // Frozen on B: the next reply-all is stopped on A.
        _ = b.store.freeze("m0@corp.example", until: clock + 3_600, now: clock + 7)
        #expect(a.decide(message(5, replyingTo: "m0@corp.example"), 8).rule == .storm)
        // Frozen before it was ever seen: known to the other host.
        _ = a.store.freeze("<never@corp.example>", until: clock + 600, now: clock + 9)
        #expect(b.store.thread("never@corp.example", now: clock + 9)?.blockedUntil != nil)
    }

    @Test func everyKeyHasATimeToLiveAndNoAddressIsStoredInClear() throws {
        let redis = try PrivateRedis()
        var p = policy(trip: 2)
        p.learnFromEnvelope = 5
        let a = Host(redis, policy: p)
        _ = a.decide(message(0))
        for n in 1...4 { _ = a.decide(message(n, replyingTo: "m0@corp.example"), Int64(n)) }
        _ = a.store.freeze("<other@corp.example>", until: clock + 60, now: clock)
        // A list learned from an expanded envelope goes to the server as a hash.
        var expanded = message(40)
        expanded.headers.record(name: "To", value: "unknown-list@corp.example")
        expanded.recipients = (1...30).map { "<member\($0)@corp.example>" }
        _ = a.decide(expanded, 5)
        a.store.maintain(now: clock + 6)

        let c = try redis.connect()
        var cursor = "0", keys: [String] = []
        repeat {
            guard case let .array(page) = try c.command(["SCAN", cursor, "COUNT", "1000"]), page.count == 2,
                  case let .array(found) = page[1] else { Issue.record("SCAN answered oddly"); return }
            cursor = page[0].text ?? "0"
            keys += found.compactMap(\.text)
        } while cursor != "0"
        #expect(keys.count >= 6, "\(keys)")
        #expect(keys.contains("breakwater:learned"))
        for k in keys {
            let ttl = try #require(try c.command(["TTL", k]).integer)
            #expect(ttl > 0, "\(k) has no TTL")
            #expect(k.hasPrefix("breakwater:"))
            let dump = try c.command(["DUMP", k])
            let text = String(decoding: { if case let .string(b) = dump { return b } else { return [] } }(), as: UTF8.self)
            for address in ["p0@corp.example", "p1@corp.example", "all@corp.example", "unknown-list@corp.example"] {
                #expect(!text.contains(address) && !k.contains(address), "\(k) holds \(address)")
            }
        }
    }

    @Test func aLostServerLeavesEachHostJudgingAloneAndItsBlocksComeBack() throws {
        let redis = try PrivateRedis()
        let a = Host(redis, policy: policy(trip: 3)), b = Host(redis, policy: policy(trip: 3))
        _ = a.decide(message(0))
        _ = b.decide(message(1, replyingTo: "m0@corp.example"), 1)
        redis.kill()
        // Host A alone: its own count (it saw none of the reply-alls) trips after three more.
        let alone = (2...6).map { n in a.decide(message(n, replyingTo: "m0@corp.example"), Int64(n)) }
        #expect(alone.map(\.action) == [.accept, .accept, .accept, .reject, .reject], "\(alone.map(\.reason))")
        #expect(!a.store.isUp)
        #expect(a.logText.contains("unavailable"), "\(a.logText)")
        #expect(a.logText.components(separatedBy: "unavailable").count == 2, "logged once: \(a.logText)")
        // Host B was quiet through the outage; the server comes back empty.
        try redis.restart()
        // Reconnecting waits for its backoff (half a second after the loss).
        #expect(TestEnvironment.waitUntil(seconds: 10) { a.store.maintain(now: clock + 7); return a.store.isUp })
        #expect(a.logText.contains("1 block written back"), "\(a.logText)")
        // B's pooled connection died with the server: its first call fails over locally and it reconnects.
        let waited = TestEnvironment.waitUntil(seconds: 10) { b.store.maintain(now: clock + 8); return b.store.isUp }
        #expect(waited)
        #expect(b.decide(message(7, replyingTo: "m0@corp.example"), 9).rule == .storm,
                "host B honours the block host A decided alone")
    }

    @Test func tempfailDefersWhatNeedsTheServerWhileItIsAway() throws {
        let redis = try PrivateRedis()
        let a = Host(redis, policy: policy(), tempfail: true)
        _ = a.decide(message(0))
        redis.kill()
        a.store.maintain(now: clock)
        // The call that finds the server gone is deferred too, and so is every one after it.
        let first = a.decide(message(1, replyingTo: "m0@corp.example"), 1)
        #expect(first.action == .defer && first.reason == .sharedStateUnavailable, "\(first)")
        #expect(!a.store.isUp)
        let v = a.decide(message(2, replyingTo: "m0@corp.example"), 2)
        #expect(v.action == .defer && v.smtpCode == 451 && v.enhancedCode == "4.3.0", "\(v)")
        #expect(v.reason == .sharedStateUnavailable)
        var ordinary = message(3)
        ordinary.recipients = ["<someone@corp.example>"]
        #expect(a.decide(ordinary, 3).action == .accept, "ordinary mail never needs the server")
    }

    @Test func aHostStartedWhileTheServerIsDownJudgesLocallyAndJoinsLater() throws {
        let redis = try PrivateRedis()
        redis.kill()
        let a = Host(redis, policy: policy(trip: 2))
        #expect(!a.store.isUp)
        #expect(a.logText.contains("unavailable"))
        _ = a.decide(message(0))
        #expect(a.decide(message(1, replyingTo: "m0@corp.example"), 1).action == .accept)
        #expect(a.decide(message(2, replyingTo: "m0@corp.example"), 2).action == .accept)
        #expect(a.decide(message(3, replyingTo: "m0@corp.example"), 3).rule == .storm)
        try redis.restart()
        #expect(TestEnvironment.waitUntil(seconds: 10) { a.store.maintain(now: clock + 4); return a.store.isUp })
        let b = Host(redis, policy: policy(trip: 2))
        #expect(b.decide(message(4, replyingTo: "m0@corp.example"), 5).rule == .storm, "the block made alone reached the server")
    }
}

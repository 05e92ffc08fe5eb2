import Daemon
import Foundation
import MilterWire
import StormCore
import TestSupport
import Testing

/// Issue #15: several MX hosts, one view. Two (or more) real `breakwater run` daemons on one
/// private Debian redis-server, a storm's connections split between them: the storm is counted
/// once, across all of them, and an admin's verb on one host acts on every host.
///
/// Each test has its own Redis and its own hosts. Serialized: each test runs three servers, and on
/// a shared 2-core machine several such tests at once only measure the machine.
@Suite(withPrivateRedis, .serialized)
struct SharedStateDaemonTests {
    @Test func aStormSplitBetweenTwoHostsLetsExactlyTripRepliesThroughInTotal() throws {
        try withSharedHosts { redis, s in
            let root = "root-split@ids.invalid"
            #expect(try s.a.send(.announcement(root: root)).passed, "\(s.logs)")
            // Alternating: user1 on b, user2 on a, ...; trip_replies = 3.
            let results = try (1...10).map { n in try s.hosts[n % 2].send(.replyAll(n, root: root)) }
            #expect(results.map(\.summary) == Array(repeating: "pass", count: 3) + Array(repeating: "stop 550 5.7.1", count: 7),
                    "\(s.logs)")
            // Stopped on both hosts, and each says it was the storm.
            for host in s.hosts {
                #expect(!host.logLines(containing: "breakwater: reject rule=storm").isEmpty, "host \(host.name)\n\(s.logs)")
            }
            let tripped = s.hosts.flatMap { $0.logLines(containing: "breakwater: storm tripped") }
            #expect(tripped.count == 1, "one trip across the hosts: \(tripped)")

            // Direct replies to the author pass on both hosts during the storm.
            let direct = try (1...4).map { n in try s.hosts[n % 2].send(.directReply(n, root: root)) }
            #expect(direct.allSatisfy { $0.passed }, "\(direct.map(\.summary))\n\(s.logs)")

            // Each host says which backend it uses, and that it is up.
            for host in s.hosts {
                let stats = try host.sharedStats()
                #expect(stats.sharedState == redis.sharedState && stats.sharedStateUp == true, "host \(host.name): \(stats)")
                let text = try host.cli.run(["stats"]).output
                let line = text.split(separator: "\n").first { $0.hasPrefix("shared state:") }
                #expect(line?.contains(redis.sharedState) == true && line?.hasSuffix(" up") == true, "host \(host.name): \(text)")
                #expect(host.sharedStateUpMetric == 1, "host \(host.name)")
            }
        }
    }

    @Test func eightConnectionsRacingOnTwoHostsLetExactlyTripRepliesThrough() throws {
        try withSharedHosts { _, s in
            let root = "root-race@ids.invalid"
            #expect(try s.a.send(.announcement(root: root)).passed, "\(s.logs)")
            // 8 connections, 4 on each host, each sending 3 reply-alls once all are connected.
            let sockets = (0..<8).map { s.hosts[$0 % 2].daemon.listen }
            let results = race(sockets) { i, client in
                try (0..<3).map { k in try client.send(.replyAll(1 + i * 3 + k, root: root)) }
            }
            let verdicts = try results.flatMap { try $0.get() }
            #expect(verdicts.count == 24)
            #expect(verdicts.filter(\.passed).count == 3, "\(verdicts.map(\.summary))\n\(s.logs)")
            #expect(verdicts.filter(\.isStopped).count == 21, "\(verdicts.map(\.summary))")
            // Both hosts stopped some (4 connections each; at most 3 of 24 pass).
            for host in s.hosts {
                #expect(!host.logLines(containing: "breakwater: reject rule=storm").isEmpty, "host \(host.name)\n\(s.logs)")
            }
            let view = try s.a.thread(MessageKey(root).description)
            #expect(view.repliesPassed == 3 && view.repliesStopped == 21, "\(view)")
        }
    }

    @Test func theDeliveryBudgetIsSpentOnceAcrossHosts() throws {
        // Each reply-all reaches 51 (the list and the author): two fit in 120, the third does not.
        // trip_replies is high, so only the budget can stop them.
        try withSharedHosts(settings: "trip_replies = 10\ndelivery_budget = 120") { _, s in
            let root = "root-budget@ids.invalid"
            #expect(try s.b.send(.announcement(root: root)).passed, "\(s.logs)")
            let sockets = (0..<4).map { s.hosts[$0 % 2].daemon.listen }
            let results = race(sockets) { i, client in
                try (0..<3).map { k in try client.send(.replyAll(1 + i * 3 + k, root: root)) }
            }
            let verdicts = try results.flatMap { try $0.get() }
            #expect(verdicts.filter(\.passed).count == 2, "\(verdicts.map(\.summary))\n\(s.logs)")
            #expect(verdicts.filter(\.isStopped).count == 10, "\(verdicts.map(\.summary))")
            let budget = s.hosts.flatMap { $0.logLines(containing: "rule=budget") }
            #expect(budget.count == 1, "the budget trips once, then the block stops the rest: \(budget)\n\(s.logs)")
        }
    }

    @Test func theHardGateStopsOnEveryHostAndTheRepliesBelowItCountOnce() throws {
        // all@ reaches 50 (at the gate of 40: always stopped); team@ 20 (a reply-all below the gate).
        let sizes = "all@example.test 50\nteam@example.test 20\n"
        try withSharedHosts(settings: "hard_gate = 40", sizes: sizes) { _, s in
            let root = "root-gate@ids.invalid"
            #expect(try s.a.send(.announcement(root: root)).passed, "\(s.logs)")
            let team = ["<team@example.test>", "<boss@example.test>"]
            // n on host n % 2; to the whole list when (n / 2) is odd: both kinds reach both hosts.
            var toTeam: [MessageResult] = [], toAll: [MessageResult] = []
            for n in 1...12 {
                let whole = (n / 2) % 2 == 1
                let result = try s.hosts[n % 2].send(.replyAll(n, root: root, recipients: whole ? ["<all@example.test>", "<boss@example.test>"] : team))
                if whole { toAll.append(result) } else { toTeam.append(result) }
            }
            #expect(toAll.allSatisfy { $0.isStopped }, "\(toAll.map(\.summary))\n\(s.logs)")
            #expect(toTeam.map(\.passed) == [true, true, true, false, false, false], "\(toTeam.map(\.summary))\n\(s.logs)")
            #expect(toTeam.dropFirst(3).allSatisfy { $0.isStopped }, "\(toTeam.map(\.summary))")
            // Before the storm tripped (the fifth message), each host stopped one at the gate.
            for host in s.hosts {
                #expect(host.logLines(containing: "rule=hard-gate").count == 1, "host \(host.name)\n\(s.logs)")
            }
        }
    }

    @Test func aThreadStartedOnOneHostAndAnsweredOnlyOnTheOtherIsOneThread() throws {
        try withSharedHosts { _, s in
            let root = "root-one@ids.invalid", key = MessageKey(root).description
            #expect(try s.a.send(.announcement(root: root)).passed, "\(s.logs)")
            let replies = try (1...5).map { try s.b.send(.replyAll($0, root: root)) }
            #expect(replies.map(\.passed) == [true, true, true, false, false], "\(replies.map(\.summary))\n\(s.logs)")

            // a never saw a reply, yet its view of the thread is b's.
            let onA = try s.a.thread(key)
            #expect(onA.thread == key && onA.repliesPassed == 3 && onA.repliesStopped == 2, "\(onA)\n\(s.logs)")
            #expect(onA.blockedUntil != nil && onA.trippedAt != nil && onA.audience >= 50, "\(onA)")
            #expect(onA.subject == "Welcome", "\(onA)")
            let byMessageID = try s.a.thread("<\(root)>")
            #expect(byMessageID.thread == key && byMessageID.repliesPassed == 3, "\(byMessageID)")
            let onB = try s.b.thread(key)
            // why a second either way: each host reads the server's clock against its own.
            #expect(onB.repliesPassed == 3 && onB.repliesStopped == 2
                    && abs((onB.blockedUntil ?? 0) - (onA.blockedUntil ?? 0)) <= 1, "\(onB)\n\(onA)")
            // b judged the replies in the thread a registered: one thread, not b's own.
            #expect(try s.a.storms().map(\.thread) == [key])
            #expect(try s.b.storms().map(\.thread) == [key])
        }
    }

    @Test func releaseOnOneHostLetsTheNextReplyAllThroughOnTheOther() throws {
        try withSharedHosts { _, s in
            let root = "root-release@ids.invalid", key = MessageKey(root).description
            #expect(try s.a.send(.announcement(root: root)).passed, "\(s.logs)")
            let storm = try (1...4).map { n in try s.hosts[n % 2].send(.replyAll(n, root: root)) }
            #expect(storm.map(\.passed) == [true, true, true, false], "\(storm.map(\.summary))\n\(s.logs)")
            // `storms` on either host lists the one shared storm.
            for host in s.hosts {
                let storms = try host.storms()
                #expect(storms.map(\.thread) == [key] && storms.first?.repliesPassed == 3 && storms.first?.repliesStopped == 1,
                        "host \(host.name): \(storms)")
            }

            let released = try s.a.cli.run(["release", key, "--reason", "ticket 7"])
            #expect(released.status == 0 && released.output.contains("released thread"), "\(released.output)\n\(s.logs)")
            // The window starts again on every host: three more pass, b first, then the storm trips again.
            let after = try (5...8).map { n in try s.hosts[(n + 1) % 2].send(.replyAll(n, root: root)) }
            #expect(after.map(\.passed) == [true, true, true, false], "\(after.map(\.summary))\n\(s.logs)")
        }
    }

    @Test func freezeOnOneHostStopsTheNextReplyAllOnTheOther() throws {
        try withSharedHosts { _, s in
            let root = "root-freeze@ids.invalid", key = MessageKey(root).description
            #expect(try s.a.send(.announcement(root: root)).passed, "\(s.logs)")
            #expect(try s.a.send(.replyAll(1, root: root)).passed, "\(s.logs)")

            let frozen = try s.b.cli.run(["freeze", "<\(root)>", "--for", "2h", "--reason", "all-staff thread"])
            #expect(frozen.status == 0 && frozen.output.contains("froze thread \(key)"), "\(frozen.output)\n\(s.logs)")
            let next = try s.a.send(.replyAll(2, root: root))
            #expect(next.isStopped, "\(next.summary)\n\(s.logs)")
            let view = try s.a.thread(key)
            let until = try #require(view.blockedUntil, "\(view)")
            #expect(abs(until - (view.trippedAt ?? 0) - 7_200) <= 1 && view.repliesPassed == 1 && view.repliesStopped == 1,
                    "\(view)")
            // Direct replies still pass.
            #expect(try s.a.send(.directReply(3, root: root)).passed)
        }
    }

    @Test func aRetriedReplyAllIsCountedOnce() throws {
        try withSharedHosts { _, s in
            let root = "root-retry@ids.invalid"
            #expect(try s.a.send(.announcement(root: root)).passed, "\(s.logs)")
            // user1's reply-all, then the same message (same Message-ID) again on b and on a, as an
            // MTA retries after a 4xx or a lost connection: one reply-all, not three.
            let first = try s.a.send(.replyAll(1, root: root))
            let retries = [try s.b.send(.replyAll(1, root: root)), try s.a.send(.replyAll(1, root: root))]
            let rest = try (2...4).map { n in try s.hosts[n % 2].send(.replyAll(n, root: root)) }
            let all = [first] + retries + rest
            #expect(all.map(\.passed) == [true, true, true, true, true, false], "\(all.map(\.summary))\n\(s.logs)")
            let view = try s.b.thread(MessageKey(root).description)
            #expect(view.repliesPassed == 3 && view.repliesStopped == 1, "\(view)")
        }
    }

    @Test func everyKeyExpiresAndNoneHoldsAnAddress() throws {
        try withSharedHosts { redis, s in
            let root = "root-keys@ids.invalid", quiet = "root-quiet@ids.invalid"
            #expect(try s.a.send(.announcement(root: root)).passed, "\(s.logs)")
            let storm = try (1...6).map { n in try s.hosts[n % 2].send(.replyAll(n, root: root)) }
            #expect(storm.filter(\.passed).count == 3, "\(storm.map(\.summary))\n\(s.logs)")
            _ = try s.b.send(.directReply(7, root: root))
            _ = try s.a.send(.ordinary(8))
            // A second thread, frozen by hand on b and released on a: the admin's keys too.
            #expect(try s.b.send(.announcement(root: quiet)).passed)
            #expect(try s.b.cli.run(["freeze", "<\(quiet)>", "--for", "1h"]).status == 0)
            #expect(try s.a.cli.run(["release", "<\(quiet)>"]).status == 0)

            let inspector = try RedisInspector(redis)
            let keys = try inspector.keys()
            #expect(!keys.isEmpty, "the storm left nothing in Redis\n\(s.logs)")
            #expect(try inspector.keys(matching: "breakwater:*").count == keys.count,
                    "every key starts with the prefix: \(keys.map(\.shown))")
            for key in keys {
                let ttl = try inspector.ttl(key)
                #expect(ttl > 0 || ttl == -2, "key \(key.shown) has TTL \(ttl)")
                #expect(!key.containsText("example.test"), "key \(key.shown) holds an address")
                for value in try inspector.contents(of: key) {
                    #expect(!value.containsText("example.test"), "key \(key.shown) holds an address: \(value.shown)")
                }
            }
        }
    }

    @Test func ordinaryMailNeverTouchesRedis() throws {
        try withSharedHosts { redis, s in
            let inspector = try RedisInspector(redis)
            try inspector.resetCommandCounts()
            let results = try (1...12).map { n in try s.hosts[n % 2].send(.ordinary(n)) }
            #expect(results.allSatisfy { $0.passed }, "\(results.map(\.summary))")
            // What a connection's upkeep may send, and this test's own INFO and CONFIG (Redis 7
            // counts subcommands apart: `config|resetstat`, `script|load`).
            let upkeep: Set<String> = ["ping", "info", "config", "auth", "select", "script", "hello", "client"]
            let counts = try inspector.commandCounts().filter { !upkeep.contains(String($0.key.prefix { $0 != "|" })) }
            #expect(counts.isEmpty, "ordinary mail made the hosts send \(counts)\n\(s.logs)")
            #expect(try inspector.keyCount() == 0)
        }
    }

    @Test func aPasswordProtectedRedisOnAUnixSocketServesAnACLUser() throws {
        let secret = "acl-secret-7f3e", defaultSecret = "default-secret-91ab"
        let redis = try PrivateRedis(unixSocket: true, password: defaultSecret, aclUser: (name: "breakwater", password: secret))
        let folder = try TestEnvironment.temporaryFolder(prefix: "bw-shared-pw")
        defer { TestEnvironment.remove(folder) }
        let file = "\(folder)/redis.password"
        try "breakwater \(secret)\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o600)
        let s = try SharedHosts(sharedState: redis.sharedState, settings: "shared_state_password_file = \(file)")
        defer { s.finish() }
        try #require(s.waitUntilConnected(), "\(s.logs)")

        let root = "root-acl@ids.invalid"
        #expect(try s.a.send(.announcement(root: root)).passed, "\(s.logs)")
        let results = try (1...6).map { n in try s.hosts[n % 2].send(.replyAll(n, root: root)) }
        #expect(results.map(\.passed) == [true, true, true, false, false, false], "\(results.map(\.summary))\n\(s.logs)")
        #expect(!s.logs.contains(secret) && !s.logs.contains(defaultSecret), "a password reached a log")
    }
}

import Daemon
import Foundation
import MilterWire
import StormCore
import TestSupport
import Testing

/// Issue #15, when the shared state fails: Redis killed mid-storm, not started yet, guarded by
/// another password, not Redis at all, not there. Every host keeps judging every message at once on
/// its own ledger (unless `shared_state_failure = tempfail`), says so once, and joins again.
@Suite(withPrivateRedis, .serialized)
struct SharedStateOutageTests {
    /// What an MTA may wait for one verdict while the shared state is away: the daemon never
    /// waits longer than its timeout (200 ms below) for Redis; the rest is a busy machine's slack.
    static let promptly: Duration = .seconds(1)

    /// Sends `messages` to their hosts one after another; each verdict, checked to come promptly.
    private func judged(_ messages: [(Host, MilterMessage)], sourceLocation: SourceLocation = #_sourceLocation) throws -> [MessageResult] {
        try messages.map { host, message in
            let (result, took) = try host.timedSend(message)
            #expect(took < Self.promptly, "host \(host.name) took \(took) for \(message.headers)", sourceLocation: sourceLocation)
            return result
        }
    }

    @Test func redisKilledMidStormLeavesEveryHostJudgingAndItsBlocksComeBack() throws {
        try withSharedHosts(settings: "shared_state_timeout = 200ms") { redis, s in
            let root = "root-kill@ids.invalid", later = "root-later@ids.invalid"
            #expect(try s.a.send(.announcement(root: root)).passed, "\(s.logs)")
            #expect(try [s.a.send(.replyAll(1, root: root)), s.b.send(.replyAll(2, root: root))].allSatisfy { $0.passed }, "\(s.logs)")

            redis.kill()
            // The storm goes on, alternating: each host counts on its own ledger now. Whether it
            // also kept the shared replies is its own affair; it trips within trip_replies of its own.
            let onward = try judged((3...14).map { n in (s.hosts[n % 2], .replyAll(n, root: root)) })
            #expect(!onward.contains { $0.isDeferred } && onward.allSatisfy { $0.passed || $0.isStopped },
                    "\(onward.map(\.summary))\n\(s.logs)")
            for (i, host) in s.hosts.enumerated() {
                let mine = onward.enumerated().filter { ($0.offset + 3) % 2 == i }.map(\.element.passed)
                let passed = mine.prefix { $0 }.count
                #expect((1...3).contains(passed) && !mine.dropFirst(passed).contains(true),
                        "host \(host.name): passes, then only stops: \(mine)\n\(s.logs)")
            }
            // A second storm on a alone while Redis is away: b never sees it.
            #expect(try s.a.send(.announcement(root: later)).passed)
            let local = try judged((20...23).map { (s.a, .replyAll($0, root: later)) })
            #expect(local.map(\.passed) == [true, true, true, false], "\(local.map(\.summary))\n\(s.logs)")

            for host in s.hosts {
                #expect(host.waitForSharedStateMetric(0), "host \(host.name): \(host.sharedStateUpMetric ?? -1)\n\(s.logs)")
                #expect(host.unavailableLinesThisEpisode == 1, "host \(host.name): logged once per episode\n\(s.logs)")
                #expect(try host.sharedStats().sharedStateUp == false, "host \(host.name)")
            }

            try redis.restart()
            // Retries back off to a few seconds at most: both are back well within twice that.
            let clock = ContinuousClock(), back = clock.now
            #expect(s.waitUntilConnected(), "\(s.logs)")
            #expect(clock.now - back < .seconds(8), "reconnected after \(clock.now - back)\n\(s.logs)")
            for host in s.hosts {
                #expect(host.waitForSharedStateMetric(1), "host \(host.name)\n\(s.logs)")
            }
            // The blocks a held are written back to the new, empty server ...
            let inspector = try RedisInspector(redis)
            #expect(TestEnvironment.waitUntil(seconds: 10) { ((try? inspector.keyCount()) ?? 0) > 0 },
                    "nothing written back\n\(s.logs)")
            let view = try s.b.thread(MessageKey(later).description)
            #expect(view.blockedUntil != nil, "b does not see a's block: \(view)\n\(s.logs)")
            // ... and b, which never saw that storm, honours it; both honour the first.
            let honoured = try judged([(s.b, .replyAll(30, root: later)), (s.b, .replyAll(31, root: root)),
                                       (s.a, .replyAll(32, root: root))])
            #expect(honoured.allSatisfy { $0.isStopped }, "\(honoured.map(\.summary))\n\(s.logs)")
        }
    }

    @Test func aHostStartedWhileRedisIsDownJudgesLocallyAndJoinsWhenItComesUp() throws {
        let redis = try PrivateRedis()
        redis.kill()
        let s = try SharedHosts(sharedState: redis.sharedState, settings: "shared_state_timeout = 200ms")
        defer { s.finish() }
        for host in s.hosts {
            #expect(host.waitForSharedState(up: false), "host \(host.name)\n\(s.logs)")
            #expect(host.waitForSharedStateMetric(0), "host \(host.name): \(host.sharedStateUpMetric ?? -1)")
        }
        // Judged locally: a's storm trips on a's count.
        let alone = "root-alone@ids.invalid"
        #expect(try s.a.send(.announcement(root: alone)).passed, "\(s.logs)")
        let local = try judged((1...4).map { (s.a, .replyAll($0, root: alone)) })
        #expect(local.map(\.passed) == [true, true, true, false], "\(local.map(\.summary))\n\(s.logs)")

        try redis.restart()
        #expect(s.waitUntilConnected(), "\(s.logs)")
        for host in s.hosts {
            #expect(host.waitForSharedStateMetric(1), "host \(host.name): \(host.sharedStateUpMetric ?? -1)\n\(s.logs)")
            #expect(host.unavailableLinesThisEpisode == 0)
        }
        // Joined: a storm split between the hosts now trips at the shared count, and a's block is b's.
        let root = "root-joined@ids.invalid"
        #expect(try s.b.send(.announcement(root: root)).passed)
        let shared = try judged((1...6).map { n in (s.hosts[n % 2], .replyAll(10 + n, root: root)) })
        #expect(shared.map(\.passed) == [true, true, true, false, false, false], "\(shared.map(\.summary))\n\(s.logs)")
        #expect(try s.b.send(.replyAll(20, root: alone)).isStopped, "\(s.logs)")
    }

    /// Shared states a host cannot use, each with what its log should say.
    enum Unusable: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case wrongPassword, notRedis, nothingListening, neverAnswers
        var testDescription: String { rawValue }
        /// Words one of which the log's error names (lowercased).
        var clues: [String] {
            switch self {
            case .wrongPassword: ["auth", "password"]
            case .notRedis: ["not a redis server"]
            case .nothingListening: ["refused"]
            case .neverAnswers: ["no answer", "timeout", "timed out", "no connection"]
            }
        }
    }

    @Test(arguments: Unusable.allCases)
    func aSharedStateTheHostCannotUseIsLoggedAndItJudgesLocally(_ unusable: Unusable) throws {
        let folder = try TestEnvironment.temporaryFolder(prefix: "bw-shared-bad")
        defer { TestEnvironment.remove(folder) }
        let secret = "right-secret-2c9d", wrong = "wrong-secret-5b1a"
        var keep: [AnyObject] = []
        defer { keep.removeAll() }
        var settings = "shared_state_timeout = 200ms\n"
        let port: UInt16
        switch unusable {
        case .wrongPassword:
            let redis = try PrivateRedis(password: secret)
            keep.append(redis)
            port = redis.port!
            try "\(wrong)\n".write(toFile: "\(folder)/password", atomically: true, encoding: .utf8)
            chmod("\(folder)/password", 0o600)
            settings += "shared_state_password_file = \(folder)/password\n"
        case .notRedis:
            let web = try NotRedisServer(greeting: "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            keep.append(web)
            port = web.port
        case .nothingListening:
            port = try TestEnvironment.freePort()
        case .neverAnswers:
            let silent = try NotRedisServer(greeting: nil)
            keep.append(silent)
            port = silent.port
        }
        let s = try SharedHosts(count: 1, sharedState: "redis://127.0.0.1:\(port)", settings: settings)
        defer { s.finish() }
        let host = s.a
        #expect(host.waitForSharedState(up: false), "\(s.logs)")
        let error = host.sharedStateEvents.first { !$0.up }?.line ?? ""
        #expect(error.contains("127.0.0.1:\(port)") && unusable.clues.contains { error.lowercased().contains($0) },
                "the error names the server and what is wrong: \(error)\n\(s.logs)")

        let root = "root-bad@ids.invalid"
        let results = try judged([(host, .announcement(root: root))] + (1...5).map { (host, .replyAll($0, root: root)) })
        #expect(results.map(\.passed) == [true, true, true, true, false, false], "\(results.map(\.summary))\n\(s.logs)")
        #expect(results.dropFirst(4).allSatisfy { $0.isStopped }, "\(results.map(\.summary))")
        #expect(host.waitForSharedStateMetric(0), "\(host.sharedStateUpMetric ?? -1)")
        #expect(host.unavailableLinesThisEpisode == 1, "logged once\n\(s.logs)")
        #expect(!s.logs.contains(secret) && !s.logs.contains(wrong), "a password reached the log")
    }

    @Test func withTempfailAMessageThatNeedsRedisIsDeferredWhileItIsDownAndOrdinaryMailPasses() throws {
        try withSharedHosts(count: 1, settings: "shared_state_timeout = 200ms\nshared_state_failure = tempfail") { redis, s in
            let host = s.a, root = "root-tempfail@ids.invalid"
            #expect(try host.send(.announcement(root: root)).passed, "\(s.logs)")
            #expect(try host.send(.replyAll(1, root: root)).passed, "\(s.logs)")

            redis.kill()
            // The first message may be the one that finds the server gone, the others meet it known
            // to be down: both are deferred.
            let first = try judged([(host, .replyAll(2, root: root))])
            #expect(host.waitForSharedStateMetric(0))
            let results = try first + judged([(host, .replyAll(3, root: root)),
                                              (host, .announcement(root: "root-new@ids.invalid")),
                                              (host, .ordinary(4)), (host, .directReply(5, root: root))])
            let codes = results.map { result -> String in
                guard case let .reply(reply) = result.verdict else { return result.summary }
                return "\(reply.code) \(reply.enhancedCode ?? "")"
            }
            #expect(codes == ["451 4.3.0", "451 4.3.0", "451 4.3.0", "pass", "pass"], "\(codes)\n\(s.logs)")
            #expect(host.unavailableLinesThisEpisode == 1, "\(s.logs)")
        }
    }
}

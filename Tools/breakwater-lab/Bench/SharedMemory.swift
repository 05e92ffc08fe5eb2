import SharedState
import StormCore
import Synchronization

/// What a tracked thread costs a Redis server: `used_memory` growth of a private server per
/// thread, for threads that only saw their announcement and for threads that had a storm, all
/// written through `SharedThreadStore` (the daemon's calls and scripts), and the keys one thread
/// leaves there.
struct SharedMemory {
    var threads = 100_000
    var stormThreads = 10_000
    var workers = 4

    /// Reply-alls a storm thread gets: the first 10 pass (the 10th trips), the other 20 are stopped.
    static let stormReplies = 30

    struct Figures {
        var bytesPerThread: Double
        var keysPerThread: Double
        var decisionsPerSecond: Double
    }

    func run(_ redis: LabRedis) {
        let admin = redis.admin()
        // One thread of each kind on an empty server: which keys it writes.
        for storm in [false, true] {
            flush(admin)
            let s = SharedMail.store(redis.tcp, prefix: "breakwater:", timeout: .seconds(5), maxThreads: 10)
            decideThread(SharedMail.engine(s), 0, storm: storm)
            let keys = (LabRedis.ask(admin, ["KEYS", "*"]).arrayTexts).sorted()
            print("keys of one \(storm ? "storm" : "announcement-only") thread (\(keys.count)):")
            for k in keys {
                let type = LabRedis.ask(admin, ["TYPE", k]).text ?? "?"
                let ttl = LabRedis.ask(admin, ["TTL", k]).integer ?? 0
                let size = LabRedis.ask(admin, ["MEMORY", "USAGE", k, "SAMPLES", "0"]).integer ?? 0
                print("  \(k.padded(44)) \(type.padded(5)) \(String(size).padded(5, left: true)) B  ttl \(ttl) s")
            }
        }
        let plain = measure(redis, admin, count: threads, storm: false)
        let storms = measure(redis, admin, count: stormThreads, storm: true)
        flush(admin)
        print("redis memory per tracked thread (used_memory growth / threads, \(workers) client threads):")
        for (name, n, f) in [("announcement only", threads, plain), ("storm (10 passed, 20 stopped, blocked)", stormThreads, storms)] {
            print("  \(name.padded(40)) \(fmt(Double(n)).padded(9, left: true)) threads: \(fmt(f.bytesPerThread, 1).padded(8, left: true)) B/thread, "
                  + "\(fmt(f.keysPerThread, 2)) keys/thread, \(fmt(f.decisionsPerSecond)) decisions/s while filling")
        }
    }

    /// Fills an emptied server with `count` threads and returns the growth per thread.
    private func measure(_ redis: LabRedis, _ admin: RedisConnection, count: Int, storm: Bool) -> Figures {
        flush(admin)
        let s = SharedMail.store(redis.tcp, prefix: "breakwater:", timeout: .seconds(5), maxThreads: count)
        let engine = SharedMail.engine(s)
        let before = LabRedis.usedMemory(admin)
        let t0 = nanos()
        SharedMail.fill(0..<count, workers: workers) { i in Self.decideThread(engine, i, storm: storm) }
        let seconds = Double(nanos() - t0) / 1e9
        let after = LabRedis.usedMemory(admin)
        let keys = Int(LabRedis.ask(admin, ["DBSIZE"]).integer ?? 0)
        if s.callCounts.local > 0 { fail("\(s.callCounts.local) calls were answered locally: the figures would not be the server's") }
        let decisions = count * (storm ? 1 + Self.stormReplies : 1)
        return Figures(bytesPerThread: Double(after - before) / Double(count), keysPerThread: Double(keys) / Double(count),
                       decisionsPerSecond: Double(decisions) / seconds)
    }

    private func decideThread(_ engine: StormEngine, _ t: Int, storm: Bool) { Self.decideThread(engine, t, storm: storm) }

    /// Thread `t`'s announcement and, for a storm, its 30 reply-alls; checks each verdict.
    static func decideThread(_ engine: StormEngine, _ t: Int, storm: Bool) {
        let a = engine.decide(EngineBench.announcement(t), at: SharedMail.clock)
        guard a.reason == .announcement else { fail("thread \(t): the announcement was judged \(a.reason)") }
        guard storm else { return }
        for j in 0..<stormReplies {
            let v = engine.decide(SharedMail.replyAll(t, j), at: SharedMail.clock + 1)
            let ok = j < 10 ? v.rule == nil && v.action == .accept : v.rule == .storm
            guard ok else { fail("thread \(t): reply-all \(j + 1) was \(v.action) (\(v.reason)), expected \(j < 10 ? "to pass" : "a storm stop")") }
        }
    }

    private func flush(_ admin: RedisConnection) { _ = LabRedis.ask(admin, ["FLUSHALL"]) }
}

extension RedisReply {
    /// The texts of an array reply (empty for anything else).
    var arrayTexts: [String] {
        if case let .array(items) = self { return items.compactMap(\.text) }
        return []
    }
}

extension String {
    func padded(_ width: Int, left: Bool = false) -> String {
        let pad = String(repeating: " ", count: max(0, width - count))
        return left ? pad + self : self + pad
    }
}

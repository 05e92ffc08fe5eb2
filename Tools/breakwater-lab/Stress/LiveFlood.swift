import Glibc
import MilterWire
import Replay
import Synchronization

/// `breakwater-lab flood`: millions of fresh Message-IDs through the live daemon's milter
/// socket, over several connections in parallel, with a real storm injected half way.
///
///   flood --socket PATH --pid PID [--messages N] [--connections C] [--cap N] [--control-socket PATH]
///         [--trip-replies N] [--sample-every N] [--per-connection N] [--seed N] [--smoke]
///
/// Checks (exit 1 if one fails): every message gets a verdict and every flood message is
/// accepted; threads tracked (control socket `stats`) never exceed --cap at any sample; the
/// storm's first --trip-replies reply-alls pass and the next is refused; after the flood one more
/// reply-all in the storm's thread is still refused; the daemon is alive at the end.
enum LiveFlood {
    static func run(_ options: LabOptions) -> Int32 {
        guard let socket = options.socket else {
            LabOutput.error("flood: --socket is required")
            return 64
        }
        let smoke = options.flag("--smoke")
        let plan = FloodPlan(
            socket: socket,
            messages: options.int("--messages", smoke ? 20_000 : 10_000_000),
            connections: max(1, options.int("--connections", 8)),
            cap: options.int("--cap", smoke ? 500 : 200_000),
            tripReplies: max(1, options.int("--trip-replies", 10)),
            sampleEvery: max(1, options.int("--sample-every", smoke ? 1_000 : 100_000)),
            perConnection: max(1, options.int("--per-connection", smoke ? 2_000 : 20_000)),
            seed: UInt64(options.int("--seed", 1)))
        guard plan.messages >= 2 else {
            LabOutput.error("flood: --messages must be at least 2")
            return 64
        }
        let watch = TrafficWatch(pid: options.pid, controlSocket: options.text("--control-socket"))
        return FloodRun(plan: plan, watch: watch).run()
    }
}

/// What a flood run is asked to do.
struct FloodPlan: Sendable {
    let socket: String
    let messages: Int
    let connections: Int
    let cap: Int
    let tripReplies: Int
    let sampleEvery: Int
    let perConnection: Int
    let seed: UInt64
}

/// One sample of the daemon during the flood.
struct FloodSample: Sendable {
    var messages: Int
    var seconds: Double
    var reading: TrafficWatch.Reading
}

/// State the sender threads share: counters, the samples, the problems seen.
final class FloodShared: Sendable {
    let tally = TrafficTally()
    let connectionsOpened = Atomic<Int>(0)
    let stop = Atomic<Bool>(false)
    let samples = Mutex<[FloodSample]>([])
    let storm = Mutex<TrafficStorm.Result?>(nil)
}

/// The flood itself: the sender threads, the sampling, the storm and the summary.
struct FloodRun {
    let plan: FloodPlan
    let watch: TrafficWatch
    let shapes = TrafficShapes(domain: "flood.example")

    func run() -> Int32 {
        let shared = FloodShared()
        let start = ContinuousClock.now
        let first = watch.read()
        shared.samples.withLock { $0.append(FloodSample(messages: 0, seconds: 0, reading: first)) }
        LabOutput.line("flood: \(plan.messages) messages over \(plan.connections) connections to \(plan.socket); "
            + "cap \(plan.cap), trip_replies \(plan.tripReplies), a sample every \(plan.sampleEvery) messages; "
            + "start RSS \(TrafficFormat.mib(first.process?.rssKiB)), fds \(TrafficFormat.optional(first.process?.fds))")
        let plan = self.plan
        let watch = self.watch
        let shapes = self.shapes
        let started = LabThreads.run(plan.connections) { worker in
            var sender = FloodSender(plan: plan, shapes: shapes, worker: worker, shared: shared)
            sender.run(watch: watch, start: start)
        }
        if !started { shared.tally.problem("the system refused a sender thread") }
        let seconds = TrafficFormat.seconds(since: start)
        let done = shared.tally.done.load(ordering: .relaxed)
        if done % plan.sampleEvery != 0 || done == 0 {
            let reading = watch.read()
            shared.samples.withLock { $0.append(FloodSample(messages: done, seconds: seconds, reading: reading)) }
            Self.progress(FloodSample(messages: done, seconds: seconds, reading: reading), plan: plan)
        }

        // After the flood, the storm's thread must still be blocked.
        let storm = TrafficStorm(shapes: shapes, tag: "flood")
        let check = TrafficSender(socket: plan.socket, name: "after", perConnection: 10)
        let (stillBlocked, afterText) = storm.stillBlocked(on: check, number: plan.tripReplies + 10)
        check.close()
        let final = watch.read()
        return summarize(shared: shared, seconds: seconds, stormAfter: (stillBlocked, afterText), final: final)
    }

    static func progress(_ s: FloodSample, plan: FloodPlan) {
        let p = s.reading.process
        let rate = s.seconds > 0 ? Double(s.messages) / s.seconds : 0
        LabOutput.line("flood: \(s.messages) messages, \(TrafficFormat.fixed(s.seconds)) s, \(TrafficFormat.fixed(rate, 0)) msg/s, "
            + "RSS \(TrafficFormat.mib(p?.rssKiB)), VmHWM \(TrafficFormat.mib(p?.hwmKiB)), fds \(TrafficFormat.optional(p?.fds)), "
            + "daemon threads \(TrafficFormat.optional(p?.threads)), threads tracked \(TrafficFormat.optional(s.reading.threadsTracked)) "
            + "(cap \(plan.cap)), ids indexed \(TrafficFormat.optional(s.reading.indexedMessages)), evictions \(TrafficFormat.optional(s.reading.evictions))")
    }

    private func summarize(shared: FloodShared, seconds: Double, stormAfter: (Bool, String),
                           final: TrafficWatch.Reading) -> Int32 {
        var failures: [String] = shared.tally.problems.withLock { $0 }
        let samples = shared.samples.withLock { $0 }
        let done = shared.tally.done.load(ordering: .relaxed)
        let withoutVerdict = shared.tally.withoutVerdict.load(ordering: .relaxed) + (plan.messages - min(plan.messages, done + shared.tally.withoutVerdict.load(ordering: .relaxed)))
        let unexpected = shared.tally.unexpected.load(ordering: .relaxed)
        let tracked = samples.compactMap { $0.reading.threadsTracked }
        let maxTracked = tracked.max()
        let overCap = tracked.filter { $0 > plan.cap }.count
        if watch.controlSocket != nil {
            if tracked.count < samples.count { failures.append("the control socket did not answer \(samples.count - tracked.count) of \(samples.count) samples") }
            if overCap > 0 { failures.append("threads tracked over the cap in \(overCap) samples (max \(maxTracked ?? 0) > \(plan.cap))") }
        }
        if withoutVerdict > 0 { failures.append("\(withoutVerdict) messages without a verdict") }
        if unexpected > 0 { failures.append("\(unexpected) flood messages not accepted") }
        let storm = shared.storm.withLock { $0 }
        let stormHeld = storm?.held(tripReplies: plan.tripReplies) ?? false
        if !stormHeld { failures.append("storm: \(storm?.description ?? "never ran"), expected \(plan.tripReplies) passed then reply-all \(plan.tripReplies + 1) refused") }
        if !stormAfter.0 { failures.append("storm after the flood: \(stormAfter.1)") }
        if let probe = watch.probe, !probe.isAlive { failures.append("the daemon (pid \(probe.pid)) is gone") }
        // why: the daemon's own count must grow by exactly what was sent (flood, storm, the check
        // after it); a message it never judged would be a message lost.
        let sentTotal = done + (storm?.messages ?? 0) + 1
        let counted = final.daemonMessages.flatMap { end in samples.first?.reading.daemonMessages.map { end - $0 } }
        if watch.controlSocket != nil, counted != sentTotal {
            failures.append("the daemon counted \(TrafficFormat.optional(counted)) messages, \(sentTotal) were sent")
        }

        func rss(atFraction f: Double) -> Int? {
            let target = Int(Double(plan.messages) * f)
            return samples.first { $0.messages >= target && $0.messages > 0 }?.reading.process?.rssKiB
        }
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let startFDs = samples.first?.reading.process?.fds
        LabOutput.line("flood: summary: \(done) messages with a verdict in \(TrafficFormat.fixed(seconds)) s = \(TrafficFormat.fixed(rate, 0)) msg/s "
            + "over \(plan.connections) connections (\(shared.connectionsOpened.load(ordering: .relaxed)) milter connections opened), "
            + "plus \(storm?.messages ?? 0) storm messages")
        LabOutput.line("flood: summary: threads tracked max \(TrafficFormat.optional(maxTracked)) vs cap \(plan.cap) over \(tracked.count) samples, "
            + "\(overCap) over; evictions \(TrafficFormat.optional(final.evictions)); the daemon counted \(TrafficFormat.optional(counted)) messages, \(sentTotal) sent")
        LabOutput.line("flood: summary: RSS at 10 % \(TrafficFormat.mib(rss(atFraction: 0.1))), at 50 % \(TrafficFormat.mib(rss(atFraction: 0.5))), "
            + "end \(TrafficFormat.mib(final.process?.rssKiB)); VmHWM \(TrafficFormat.mib(final.process?.hwmKiB)); "
            + "fds start \(TrafficFormat.optional(startFDs)) end \(TrafficFormat.optional(final.process?.fds))")
        LabOutput.line("flood: summary: storm: \(storm?.description ?? "never ran") (trip point: reply-all \(plan.tripReplies + 1)); "
            + "after the flood: \(stormAfter.1)")
        LabOutput.line("flood: summary: \(withoutVerdict) messages without a verdict, \(unexpected) unexpected verdicts")
        LabOutput.line("RESULT flood messages=\(done) without_verdict=\(withoutVerdict) unexpected=\(unexpected) "
            + "max_threads=\(maxTracked ?? -1) cap=\(plan.cap) over_cap=\(overCap) storm_passed=\(storm?.passed ?? -1) "
            + "storm_refused_at=\(storm?.refusedAt ?? -1) trip_point=\(plan.tripReplies + 1) storm_after=\(stormAfter.0 ? "refused" : "passed") "
            + "rss_end_kib=\(final.process?.rssKiB ?? -1) hwm_kib=\(final.process?.hwmKiB ?? -1) "
            + "daemon_counted=\(counted ?? -1) sent_total=\(sentTotal) fds_start=\(startFDs ?? -1) fds_end=\(final.process?.fds ?? -1) seconds=\(TrafficFormat.fixed(seconds)) rate=\(TrafficFormat.fixed(rate, 0))")
        return LabOutput.verdict("flood", failures: failures)
    }
}

/// One sender thread of the flood: its own connection, its own announcements and the reply-alls
/// into them, counted so no thread of the flood itself ever reaches the trip point.
struct FloodSender {
    let plan: FloodPlan
    let shapes: TrafficShapes
    let worker: Int
    let shared: FloodShared
    var random: SeededRandom
    /// Reply-alls sent into each of this sender's announcements (index = announcement number).
    var repliesPerRoot: [UInt8] = []
    /// Recent reply-alls (root number, reply number), so some reply-alls answer a reply.
    var recentReplies: [(root: Int, reply: Int)] = []
    var sequence = 0
    let maxRepliesPerRoot: UInt8

    init(plan: FloodPlan, shapes: TrafficShapes, worker: Int, shared: FloodShared) {
        self.plan = plan
        self.shapes = shapes
        self.worker = worker
        self.shared = shared
        random = SeededRandom(seed: plan.seed &* 0x1000_0000 &+ UInt64(worker))
        // why: the flood's own threads must stay below the trip point, so that every flood
        // message has one expected verdict (accept) and only the injected storm trips.
        maxRepliesPerRoot = UInt8(min(plan.tripReplies - 1, 200))
        repliesPerRoot.reserveCapacity(plan.messages / plan.connections / 2 + 16)
    }

    func rootID(_ k: Int) -> String { "a\(worker).\(k)@flood.example" }
    func author(_ k: Int) -> String { "boss\(k % 1000).w\(worker)@flood.example" }

    mutating func run(watch: TrafficWatch, start: ContinuousClock.Instant) {
        let sender = TrafficSender(socket: plan.socket, name: "flood\(worker)",
                                   perConnection: plan.perConnection / 2 + random.below(plan.perConnection))
        defer {
            sender.close()
            _ = shared.connectionsOpened.add(sender.connections, ordering: .relaxed)
        }
        while !shared.stop.load(ordering: .relaxed) {
            let index = shared.tally.claimed.add(1, ordering: .relaxed).oldValue
            guard index < plan.messages else { break }
            if index == plan.messages / 2 { injectStorm() }
            guard let done = shared.tally.deliver(next(), on: sender) else {
                if shared.tally.withoutVerdict.load(ordering: .relaxed) >= 100 { shared.stop.store(true, ordering: .relaxed) }
                continue
            }
            if done % plan.sampleEvery == 0 {
                let sample = FloodSample(messages: done, seconds: TrafficFormat.seconds(since: start), reading: watch.read())
                shared.samples.withLock { $0.append(sample) }
                FloodRun.progress(sample, plan: plan)
            }
        }
    }

    /// The storm, on a connection of its own, while the other senders go on.
    func injectStorm() {
        let storm = TrafficStorm(shapes: shapes, tag: "flood")
        let sender = TrafficSender(socket: plan.socket, name: "storm", perConnection: 1_000)
        let result = storm.run(on: sender, tripReplies: plan.tripReplies)
        sender.close()
        shared.storm.withLock { $0 = result }
        LabOutput.line("flood: storm injected at message \(plan.messages / 2): \(result.description)")
    }

    /// The next flood message: 40 % announcements, 30 % reply-alls to an announcement, 10 %
    /// reply-alls to a reply-all, 20 % direct replies. Half the parents are recent (likely still
    /// tracked), half anywhere in this sender's past (mostly evicted long ago).
    mutating func next() -> TrafficMessage {
        sequence += 1
        let roll = random.below(100)
        if roll >= 40, !repliesPerRoot.isEmpty {
            if roll < 80 {
                var root: Int?
                var parentReply: Int?
                if roll >= 70, !recentReplies.isEmpty {
                    let pick = recentReplies[random.below(recentReplies.count)]
                    if repliesPerRoot[pick.root] < maxRepliesPerRoot { (root, parentReply) = (pick.root, pick.reply) }
                }
                if root == nil {
                    for _ in 0..<4 {
                        let k = pickRoot()
                        if repliesPerRoot[k] < maxRepliesPerRoot {
                            root = k
                            break
                        }
                    }
                }
                if let root {
                    repliesPerRoot[root] += 1
                    let id = "r\(worker).\(sequence)@flood.example"
                    if recentReplies.count < 1024 { recentReplies.append((root, sequence)) } else { recentReplies[sequence % 1024] = (root, sequence) }
                    let parent = parentReply.map { "r\(worker).\($0)@flood.example" } ?? rootID(root)
                    return shapes.replyAll(id: id, from: shapes.user(random.below(100_000)), parent: parent,
                                           root: parentReply == nil ? nil : rootID(root), author: author(root),
                                           subject: "Notice \(root)")
                }
            } else {
                let root = pickRoot()
                return shapes.direct(id: "d\(worker).\(sequence)@flood.example", from: shapes.user(random.below(100_000)),
                                     parent: rootID(root), author: author(root), subject: "Notice \(root)")
            }
        }
        let k = repliesPerRoot.count
        repliesPerRoot.append(0)
        return shapes.announcement(id: rootID(k), author: author(k), subject: "Notice \(k)")
    }

    private mutating func pickRoot() -> Int {
        let count = repliesPerRoot.count
        if random.below(2) == 0 { return count - 1 - random.below(min(count, 1_000)) }
        return random.below(count)
    }
}

import Glibc
import MilterWire
import Replay
import Synchronization

/// `breakwater-lab soak`: steady mixed traffic at a fixed rate through the live daemon, with
/// a storm every --storm-every seconds, and the daemon's RSS and fds sampled every --sample
/// seconds. After --warmup, least-squares slopes show a leak: RSS in KiB per 1,000 messages and
/// fds over the run.
///
///   soak --socket PATH --pid PID [--duration S] [--rate MSG_PER_S] [--warmup S] [--sample S]
///        [--connections C] [--storm-every S] [--trip-replies N] [--control-socket PATH]
///        [--max-rss-slope KIB_PER_1000] [--max-fd-growth N] [--per-connection N] [--smoke]
///
/// Checks (exit 1 if one fails): every message gets a verdict, every ordinary message is
/// accepted, every storm is refused exactly at reply-all trip_replies + 1 and the storm before
/// it is still refused; the rate was held (>= 90 % of the messages due were sent); after
/// warm-up RSS grows by at most --max-rss-slope KiB per 1,000 messages and the fitted fd growth
/// over the measured span is at most --max-fd-growth; the daemon is alive at the end.
enum Soak {
    static func run(_ options: LabOptions) -> Int32 {
        guard let socket = options.socket else {
            LabOutput.error("soak: --socket is required")
            return 64
        }
        let smoke = options.flag("--smoke")
        let plan = SoakPlan(
            socket: socket,
            duration: options.double("--duration", smoke ? 15 : 360),
            rate: options.double("--rate", smoke ? 300 : 500),
            warmup: options.double("--warmup", smoke ? 5 : 60),
            sample: options.double("--sample", smoke ? 0.5 : 5),
            connections: max(1, options.int("--connections", 4)),
            stormEvery: options.double("--storm-every", smoke ? 4 : 60),
            tripReplies: max(1, options.int("--trip-replies", 10)),
            perConnection: max(1, options.int("--per-connection", 500)),
            maxRSSSlope: options.double("--max-rss-slope", 1.0),
            maxFDGrowth: options.double("--max-fd-growth", 2.0))
        guard plan.duration > 0, plan.rate > 0, plan.sample > 0, plan.warmup < plan.duration else {
            LabOutput.error("soak: need --duration > --warmup >= 0, --rate > 0, --sample > 0")
            return 64
        }
        let watch = TrafficWatch(pid: options.pid, controlSocket: options.text("--control-socket"))
        return SoakRun(plan: plan, watch: watch).run()
    }
}

/// What a soak is asked to do.
struct SoakPlan: Sendable {
    let socket: String
    let duration: Double
    let rate: Double
    let warmup: Double
    let sample: Double
    let connections: Int
    let stormEvery: Double
    let tripReplies: Int
    let perConnection: Int
    let maxRSSSlope: Double
    let maxFDGrowth: Double
}

/// State shared by the soak's threads.
final class SoakShared: Sendable {
    let tally = TrafficTally()
    let late = Atomic<Int>(0)
    let storms = Atomic<Int>(0)
    let stormsHeld = Atomic<Int>(0)
    let stormMessages = Atomic<Int>(0)
    /// Senders and the storm thread that are done (all closed their connections).
    let finished = Atomic<Int>(0)
    /// Samples taken once every connection was closed: the quiet baseline at the end.
    let quiet = Mutex<[FloodSample]>([])
    let samples = Mutex<[FloodSample]>([])
}

struct SoakRun {
    let plan: SoakPlan
    let watch: TrafficWatch

    func run() -> Int32 {
        let shared = SoakShared()
        let plan = self.plan
        let watch = self.watch
        let shapes = TrafficShapes(domain: "soak.example")
        let start = ContinuousClock.now
        let end = start + .milliseconds(Int64(plan.duration * 1000))
        LabOutput.line("soak: \(TrafficFormat.fixed(plan.duration, 0)) s at \(TrafficFormat.fixed(plan.rate, 0)) msg/s "
            + "(\(Int(plan.duration * plan.rate)) messages) over \(plan.connections) connections, a storm every "
            + "\(TrafficFormat.fixed(plan.stormEvery, 0)) s, warm-up \(TrafficFormat.fixed(plan.warmup, 0)) s, a sample every \(TrafficFormat.fixed(plan.sample, 1)) s")
        // Threads 0..<connections send; the next runs the storms; the last samples.
        let started = LabThreads.run(plan.connections + 2) { role in
            if role < plan.connections {
                var sender = SoakSender(plan: plan, shapes: shapes, worker: role, shared: shared)
                sender.run(start: start, end: end)
            } else if role == plan.connections {
                Self.storms(plan: plan, shapes: shapes, shared: shared, start: start, end: end)
            } else {
                Self.sampling(plan: plan, watch: watch, shared: shared, start: start)
            }
        }
        if !started { shared.tally.problem("the system refused a thread") }
        return summarize(shared: shared, seconds: TrafficFormat.seconds(since: start))
    }

    /// A storm every `stormEvery` seconds; each must trip exactly at the trip point, and the one
    /// before it must still be blocked.
    static func storms(plan: SoakPlan, shapes: TrafficShapes, shared: SoakShared,
                       start: ContinuousClock.Instant, end: ContinuousClock.Instant) {
        let sender = TrafficSender(socket: plan.socket, name: "storm", perConnection: 200)
        defer {
            sender.close()
            _ = shared.finished.add(1, ordering: .relaxed)
        }
        var previous: TrafficStorm?
        var n = 0
        while true {
            n += 1
            let due = start + .milliseconds(Int64(plan.stormEvery * 1000 * Double(n)))
            guard due < end else { return }
            LabThreads.sleep(until: due)
            let storm = TrafficStorm(shapes: shapes, tag: "soak\(n)")
            let result = storm.run(on: sender, tripReplies: plan.tripReplies)
            _ = shared.storms.add(1, ordering: .relaxed)
            _ = shared.stormMessages.add(result.messages, ordering: .relaxed)
            var line = "soak: storm \(n): \(result.description)"
            var held = result.held(tripReplies: plan.tripReplies)
            if let previous {
                let (blocked, text) = previous.stillBlocked(on: sender, number: plan.tripReplies + 10)
                _ = shared.stormMessages.add(1, ordering: .relaxed)
                line += "; storm \(n - 1) still: \(text)"
                held = held && blocked
            }
            if held { _ = shared.stormsHeld.add(1, ordering: .relaxed) } else { shared.tally.problem(line) }
            LabOutput.line(line)
            previous = storm
        }
    }

    /// Samples every `plan.sample` seconds while traffic runs, then three more once every
    /// connection is closed (the daemon closes its side when it reads the goodbye): the last of
    /// those is the quiet end, compared with the quiet start.
    static func sampling(plan: SoakPlan, watch: TrafficWatch, shared: SoakShared, start: ContinuousClock.Instant) {
        var n = 0
        var afterwards = 0
        while true {
            let seconds = TrafficFormat.seconds(since: start)
            let allClosed = shared.finished.load(ordering: .relaxed) == plan.connections + 1
            let sample = FloodSample(messages: shared.tally.done.load(ordering: .relaxed), seconds: seconds, reading: watch.read())
            if allClosed {
                shared.quiet.withLock { $0.append(sample) }
                afterwards += 1
                if afterwards == 3 { return }
            } else {
                shared.samples.withLock { $0.append(sample) }
            }
            if n % max(1, Int((30 / plan.sample).rounded())) == 0 {
                let p = sample.reading.process
                LabOutput.line("soak: \(TrafficFormat.fixed(seconds, 0)) s, \(sample.messages) messages, RSS \(TrafficFormat.mib(p?.rssKiB)), "
                    + "VmHWM \(TrafficFormat.mib(p?.hwmKiB)), fds \(TrafficFormat.optional(p?.fds)), daemon threads \(TrafficFormat.optional(p?.threads)), "
                    + "threads tracked \(TrafficFormat.optional(sample.reading.threadsTracked))")
            }
            n += 1
            LabThreads.sleep(until: start + .milliseconds(Int64(plan.sample * 1000 * Double(n))))
        }
    }

    private func summarize(shared: SoakShared, seconds: Double) -> Int32 {
        var failures = shared.tally.problems.withLock { $0 }
        let samples = shared.samples.withLock { $0 }
        let done = shared.tally.done.load(ordering: .relaxed)
        let due = Int(plan.duration * plan.rate)
        let withoutVerdict = shared.tally.withoutVerdict.load(ordering: .relaxed)
        let unexpected = shared.tally.unexpected.load(ordering: .relaxed)
        let storms = shared.storms.load(ordering: .relaxed)
        let stormsHeld = shared.stormsHeld.load(ordering: .relaxed)
        if withoutVerdict > 0 { failures.append("\(withoutVerdict) messages without a verdict") }
        if unexpected > 0 { failures.append("\(unexpected) ordinary messages not accepted") }
        if storms == 0 { failures.append("no storm ran (the soak is shorter than --storm-every)") }
        if stormsHeld < storms { failures.append("\(storms - stormsHeld) of \(storms) storms not refused exactly at the trip point") }
        if Double(done) < 0.9 * Double(due) { failures.append("the rate was not held: \(done) of \(due) messages due were sent") }
        if let probe = watch.probe, !probe.isAlive { failures.append("the daemon (pid \(probe.pid)) is gone") }

        let measured = samples.filter { $0.seconds >= plan.warmup && $0.reading.process != nil }
        let rssFit = SoakFit(measured.map { (Double($0.messages) / 1000, Double($0.reading.process!.rssKiB)) })
        let fdFit = SoakFit(measured.map { ($0.seconds, Double($0.reading.process!.fds)) })
        let span = (measured.last?.seconds ?? 0) - (measured.first?.seconds ?? 0)
        let fdGrowth = (fdFit?.slope ?? 0) * span
        let rssGrowth = (rssFit?.slope ?? 0) * Double((measured.last?.messages ?? 0) - (measured.first?.messages ?? 0)) / 1000
        if watch.probe != nil {
            if measured.count < 5 {
                failures.append("only \(measured.count) samples after warm-up (need 5 for a slope)")
            } else {
                if let rssFit, rssFit.slope > plan.maxRSSSlope {
                    failures.append("RSS grows \(TrafficFormat.fixed(rssFit.slope, 2)) KiB per 1,000 messages after warm-up (bound \(TrafficFormat.fixed(plan.maxRSSSlope, 2)))")
                }
                if fdGrowth > plan.maxFDGrowth {
                    failures.append("fds grow by \(TrafficFormat.fixed(fdGrowth, 1)) over \(TrafficFormat.fixed(span, 0)) s after warm-up (bound \(TrafficFormat.fixed(plan.maxFDGrowth, 1)))")
                }
            }
        }
        // The quiet start (before any traffic) against the quiet end (every connection closed).
        let quietStart = samples.first?.reading.process?.fds
        let quietEnd = shared.quiet.withLock { $0.last?.reading.process?.fds }
        if watch.probe != nil, let quietStart, let quietEnd, Double(quietEnd - quietStart) > plan.maxFDGrowth {
            failures.append("fds with no connection open: \(quietStart) before the traffic, \(quietEnd) after it")
        } else if watch.probe != nil, quietEnd == nil {
            failures.append("no quiet sample after the traffic")
        }
        let rssValues = measured.map { $0.reading.process!.rssKiB }
        let fdValues = measured.map { $0.reading.process!.fds }
        let tracked = samples.compactMap { $0.reading.threadsTracked }
        let warm = measured.first
        let last = samples.last
        LabOutput.line("soak: summary: \(done) messages with a verdict in \(TrafficFormat.fixed(seconds)) s (\(due) due, "
            + "\(TrafficFormat.fixed(Double(done) / max(seconds, 0.001), 0)) msg/s, \(shared.late.load(ordering: .relaxed)) sent over 1 s late), "
            + "plus \(shared.stormMessages.load(ordering: .relaxed)) storm messages; \(withoutVerdict) without a verdict, \(unexpected) unexpected verdicts")
        LabOutput.line("soak: summary: storms \(stormsHeld) of \(storms) refused exactly at reply-all \(plan.tripReplies + 1) (and the one before still blocked)")
        LabOutput.line("soak: summary: after warm-up (\(measured.count) samples over \(TrafficFormat.fixed(span, 0)) s, \((measured.last?.messages ?? 0) - (warm?.messages ?? 0)) messages): "
            + "RSS \(TrafficFormat.mib(rssValues.first)) -> \(TrafficFormat.mib(rssValues.last)) (min \(TrafficFormat.mib(rssValues.min())), max \(TrafficFormat.mib(rssValues.max()))), "
            + "slope \(TrafficFormat.fixed(rssFit?.slope ?? 0, 3)) KiB per 1,000 messages (fitted growth \(TrafficFormat.fixed(rssGrowth, 0)) KiB, bound \(TrafficFormat.fixed(plan.maxRSSSlope, 2)))")
        LabOutput.line("soak: summary: fds \(TrafficFormat.optional(fdValues.first)) -> \(TrafficFormat.optional(fdValues.last)) (min \(TrafficFormat.optional(fdValues.min())), max \(TrafficFormat.optional(fdValues.max()))), "
            + "fitted growth \(TrafficFormat.fixed(fdGrowth, 2)) (bound \(TrafficFormat.fixed(plan.maxFDGrowth, 1))); VmHWM \(TrafficFormat.mib(last?.reading.process?.hwmKiB)); "
            + "with no connection open \(TrafficFormat.optional(quietStart)) before, \(TrafficFormat.optional(quietEnd)) after; threads tracked at warm-up end \(TrafficFormat.optional(warm?.reading.threadsTracked)), max \(TrafficFormat.optional(tracked.max())), end \(TrafficFormat.optional(last?.reading.threadsTracked))")
        LabOutput.line("RESULT soak messages=\(done) due=\(due) without_verdict=\(withoutVerdict) unexpected=\(unexpected) storms=\(storms) "
            + "storms_held=\(stormsHeld) samples=\(measured.count) rss_slope_kib_per_1000=\(TrafficFormat.fixed(rssFit?.slope ?? 0, 3)) "
            + "fd_growth=\(TrafficFormat.fixed(fdGrowth, 2)) rss_start_kib=\(rssValues.first ?? -1) rss_end_kib=\(rssValues.last ?? -1) "
            + "fds_start=\(fdValues.first ?? -1) fds_end=\(fdValues.last ?? -1) fds_quiet_start=\(quietStart ?? -1) fds_quiet_end=\(quietEnd ?? -1) seconds=\(TrafficFormat.fixed(seconds))")
        return LabOutput.verdict("soak", failures: failures)
    }
}

/// A least-squares line through (x, y) points; nil with fewer than two distinct x.
struct SoakFit {
    let slope: Double
    let intercept: Double

    init?(_ points: [(Double, Double)]) {
        guard points.count >= 2 else { return nil }
        let n = Double(points.count)
        let mx = points.reduce(0) { $0 + $1.0 } / n
        let my = points.reduce(0) { $0 + $1.1 } / n
        var sxy = 0.0, sxx = 0.0
        for (x, y) in points {
            sxy += (x - mx) * (y - my)
            sxx += (x - mx) * (x - mx)
        }
        guard sxx > 0 else { return nil }
        slope = sxy / sxx
        intercept = my - slope * mx
    }
}

/// One soak sender: paced by the clock to its share of the rate, ordinary mail mostly.
struct SoakSender {
    let plan: SoakPlan
    let shapes: TrafficShapes
    let worker: Int
    let shared: SoakShared
    var random: SeededRandom
    var repliesPerRoot: [UInt8] = []
    var sequence = 0
    let maxRepliesPerRoot: UInt8

    init(plan: SoakPlan, shapes: TrafficShapes, worker: Int, shared: SoakShared) {
        self.plan = plan
        self.shapes = shapes
        self.worker = worker
        self.shared = shared
        random = SeededRandom(seed: 0x50A4 &+ UInt64(worker))
        maxRepliesPerRoot = UInt8(min(plan.tripReplies - 1, 200))
    }

    func rootID(_ k: Int) -> String { "n\(worker).\(k)@soak.example" }
    func author(_ k: Int) -> String { "boss\(k % 100).w\(worker)@soak.example" }

    mutating func run(start: ContinuousClock.Instant, end: ContinuousClock.Instant) {
        let sender = TrafficSender(socket: plan.socket, name: "soak\(worker)",
                                   perConnection: plan.perConnection / 2 + random.below(plan.perConnection))
        defer {
            sender.close()
            _ = shared.finished.add(1, ordering: .relaxed)
        }
        let interval = 1.0 / plan.rate
        while true {
            // why a shared ticket: the connections together hold the rate, whichever is slow.
            let k = shared.tally.claimed.add(1, ordering: .relaxed).oldValue
            let due = start + .nanoseconds(Int64(Double(k) * interval * 1e9))
            guard due < end else { break }
            LabThreads.sleep(until: due)
            if ContinuousClock.now - due > .seconds(1) { _ = shared.late.add(1, ordering: .relaxed) }
            _ = shared.tally.deliver(next(), on: sender)
        }
    }

    /// 45 % mail to one person, 20 % to a small team list, 15 % direct replies, 15 %
    /// announcements to the big list, 5 % reply-alls to an announcement (kept under the trip point).
    mutating func next() -> TrafficMessage {
        sequence += 1
        let roll = random.below(100)
        let id = "m\(worker).\(sequence)@soak.example"
        let from = shapes.user(random.below(5_000))
        switch roll {
        case 0..<45:
            return shapes.plain(id: id, from: from, to: shapes.user(random.below(5_000)), subject: "Lunch \(sequence)")
        case 45..<65:
            return shapes.plain(id: id, from: from, to: "team\(random.below(10))@soak.example", subject: "Team \(sequence)")
        case 65..<80 where !repliesPerRoot.isEmpty:
            let root = random.below(repliesPerRoot.count)
            return shapes.direct(id: id, from: from, parent: rootID(root), author: author(root), subject: "Plan \(root)")
        case 95..<100 where !repliesPerRoot.isEmpty:
            let root = repliesPerRoot.count - 1 - random.below(min(repliesPerRoot.count, 200))
            if repliesPerRoot[root] < maxRepliesPerRoot {
                repliesPerRoot[root] += 1
                return shapes.replyAll(id: id, from: from, parent: rootID(root), root: nil, author: author(root), subject: "Plan \(root)")
            }
            return shapes.plain(id: id, from: from, to: shapes.user(random.below(5_000)), subject: "Lunch \(sequence)")
        default:
            let k = repliesPerRoot.count
            repliesPerRoot.append(0)
            return shapes.announcement(id: rootID(k), author: author(k), subject: "Plan \(k)")
        }
    }
}

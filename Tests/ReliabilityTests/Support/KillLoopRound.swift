import Foundation
import Glibc
import MilterWire
import Replay
import Synchronization
import TestSupport
import Testing

// The plan, the worker threads and the tallies of one KillLoopTests round.

/// What one round does: where its storm is and where it is killed.
struct KillPlan: Sendable, CustomStringConvertible {
    enum Anchor: Sendable { case handedOver(Int), afterSnapshot(Int) }
    /// Where in the killer's own message the kill falls.
    enum Step: Sendable, CaseIterable { case beforeMail, afterMail, afterRecipients, afterHeaders }

    let round: Int
    let anchor: Anchor
    let step: Step
    let workerSeeds: [UInt64]
    var root: String { "root-kill-\(round)@example.test" }
    var subject: String { "Round\(round)" }

    init(round: Int, random: inout KillRandom) {
        self.round = round
        anchor = round % 2 == 0 ? .handedOver(Int.random(in: 1...KillLoopTests.maxAnywhere, using: &random))
                                : .afterSnapshot(Int.random(in: 0...100, using: &random))
        step = Step.allCases.randomElement(using: &random)!
        workerSeeds = (0..<KillLoopTests.workers).map { _ in random.next() }
    }

    /// The storm's verdict for this round's thread.
    func isBlocked(_ result: MessageResult) -> Bool {
        guard case .reply(let r) = result.verdict else { return false }
        return r.code == 550 && r.text.contains("Thread \(subject) is blocked")
    }

    var description: String {
        switch anchor {
        case .handedOver(let n): "kill at message \(n), \(step);"
        case .afterSnapshot(let n): "kill \(n) messages after the storm's snapshot, \(step);"
        }
    }
}

/// What the clients saw, message by message.
struct KillTally {
    var handedOver = 0
    var verdicts = 0
    var accepted = 0
    var blocked = 0
    var inFlightFailures = 0
    var timeouts = 0
    var vanished = 0

    mutating func add(_ o: KillTally) {
        handedOver += o.handedOver; verdicts += o.verdicts; accepted += o.accepted; blocked += o.blocked
        inFlightFailures += o.inFlightFailures; timeouts += o.timeouts; vanished += o.vanished
    }
}

struct KillOutcome {
    enum Restart { case intact, setAside, none }
    var tally: KillTally
    var forced: Bool
    var unexpected: [String] = []
    var tripSeen = false
    var blockProven = false
    var blockKept = false
    /// Refused after the restart, but by a storm that tripped anew (counts restored, not the storm).
    var retripped = false
    var directPassed = false
    var restart = Restart.none
    /// Seconds from the first blocked reply-all a client saw to the kill.
    var tripToKill: Double?
    var neverStarted: [String] = []
    var snapshotAge: Double?

    var summary: String {
        "handed over \(tally.handedOver), verdicts \(tally.verdicts) (\(tally.blocked) blocked), failed in flight \(tally.inFlightFailures), "
            + "vanished \(tally.vanished); trip seen \(tripSeen), in a snapshot \(blockProven), kept \(blockKept), tripped anew \(retripped), restart \(restart), "
            + "trip to kill \(tripToKill.map { String(format: "%.2f s", $0) } ?? "-"), "
            + "snapshot age \(snapshotAge.map { String(format: "%.2f s", $0) } ?? "-")"
            + (neverStarted.isEmpty ? "" : "; killed before a first message: \(neverStarted)")
    }
}

struct KillTotals {
    var tally = KillTally()
    var kills = 0
    var forcedKills = 0
    var tripsSeen = 0
    var blocksProven = 0
    var blocksKeptWhenProven = 0
    var blocksKept = 0
    var retripped = 0
    var restartsIntact = 0
    var restartsSetAside = 0
    var restartsWithoutSnapshot = 0
    var directAfterRestart = 0
    /// The longest trip-to-kill time of a round whose block was lost, and the shortest of one kept.
    var neverStarted = 0
    var snapshotAges: [Double] = []
    var longestLost: Double?
    var shortestKept: Double?

    mutating func add(_ o: KillOutcome) {
        tally.add(o.tally)
        kills += 1
        if o.forced { forcedKills += 1 }
        if o.tripSeen { tripsSeen += 1 }
        if o.blockProven { blocksProven += 1 }
        if o.blockProven && o.blockKept { blocksKeptWhenProven += 1 }
        if o.blockKept { blocksKept += 1 }
        if o.retripped { retripped += 1 }
        switch o.restart {
        case .intact: restartsIntact += 1
        case .setAside: restartsSetAside += 1
        case .none: restartsWithoutSnapshot += 1
        }
        if o.directPassed { directAfterRestart += 1 }
        neverStarted += o.neverStarted.count
        if let a = o.snapshotAge { snapshotAges.append(a) }
        if let t = o.tripToKill {
            if o.blockKept { shortestKept = min(shortestKept ?? t, t) } else { longestLost = max(longestLost ?? t, t) }
        }
    }

    var summary: String {
        "\(kills) kills; handed over \(tally.handedOver) = verdicts \(tally.verdicts) (\(tally.accepted) accepted, \(tally.blocked) blocked) "
            + "+ failed in flight \(tally.inFlightFailures); vanished \(tally.vanished); timeouts \(tally.timeouts); "
            + "restarts: \(restartsIntact) snapshot intact, \(restartsSetAside) set aside, \(restartsWithoutSnapshot) without snapshot; "
            + "connections killed before their first message \(neverStarted); trips seen \(tripsSeen); blocks in a snapshot \(blocksProven), kept \(blocksKeptWhenProven); blocks kept in all \(blocksKept), tripped anew after the restart \(retripped); "
            + "trip-to-kill: longest with the block lost \(longestLost.map { String(format: "%.2f s", $0) } ?? "-"), "
            + "shortest with it kept \(shortestKept.map { String(format: "%.2f s", $0) } ?? "-"); "
            + "snapshot age at the kill: \(Self.spread(snapshotAges))"
    }

    /// `median 0.52 s, p90 0.91 s, max 1.10 s (n=5)`.
    static func spread(_ values: [Double]) -> String {
        guard !values.isEmpty else { return "-" }
        let v = values.sorted()
        func at(_ q: Double) -> Double { v[min(v.count - 1, Int(Double(v.count - 1) * q + 0.5))] }
        return String(format: "median %.2f s, p90 %.2f s, max %.2f s (n=%d)", at(0.5), at(0.9), v[v.count - 1], v.count)
    }
}

/// The state the worker threads of one round share.
final class RoundState: Sendable {
    enum Kind: CaseIterable { case replyAll, direct, normal, announcement }

    let plan: KillPlan
    let pid: pid_t
    let logPath: String
    let socketPath: String
    let snapshotPath: String
    let tickets = Atomic<Int>(0)
    let killed = Atomic<Bool>(false)
    let forced = Atomic<Bool>(false)
    let numbers = Atomic<Int>(0)
    /// The ticket at which to kill (set at start, or once the storm's snapshot is on disk).
    let killAt: Mutex<Int?>
    let tally = Mutex(KillTally())
    let unexpected = Mutex<[String]>([])
    /// "snapshot written" lines in the log when the trip was first seen, and at the kill.
    let snapshotLines = Mutex<(atTrip: Int?, atKill: Int?)>((nil, nil))
    /// When the trip was first seen and when the kill was sent.
    let moments = Mutex<(trip: Date?, kill: Date?)>((nil, nil))
    /// Workers whose connection died before their first message (the kill came first).
    let neverStarted = Mutex<[String]>([])
    let born = Date()
    /// Seconds from the last snapshot write (its file's mtime) to the kill.
    let snapshotAge = Mutex<Double?>(nil)

    init(plan: KillPlan, pid: pid_t, logPath: String, socketPath: String, snapshotPath: String) {
        self.snapshotPath = snapshotPath
        self.plan = plan
        self.pid = pid
        self.logPath = logPath
        self.socketPath = socketPath
        if case .handedOver(let n) = plan.anchor { killAt = Mutex(n) } else { killAt = Mutex(nil) }
    }

    /// Completed snapshot writes so far, by the daemon's own log lines.
    func snapshotsWritten() -> Int {
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return log.components(separatedBy: "snapshot written").count - 1
    }

    /// Sends SIGKILL, once, and notes the snapshot writes logged before it.
    func kill() {
        guard killed.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent).exchanged else { return }
        Glibc.kill(pid, SIGKILL)
        moments.withLock { $0.kill = Date() }
        // why after: the log of a dead process holds exactly the lines written before the kill,
        // and reading it first would put milliseconds between the chosen point and the kill.
        _ = TestEnvironment.waitUntil(seconds: 10) { !ChildProcess.isRunning(pid) }
        let lines = snapshotsWritten()
        snapshotLines.withLock { $0.atKill = lines }
        var st = stat()
        if stat(snapshotPath, &st) == 0 {
            let written = Date(timeIntervalSince1970: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
            snapshotAge.withLock { $0 = moments.withLock { $0.kill }.map { $0.timeIntervalSince(written) } }
        }
    }

    /// Counts one message handed over and how it ended.
    func handOver(_ kind: Kind, result: Result<MessageResult, ClientError>) {
        let plan = self.plan
        var tripJustSeen = false
        tally.withLock { t in
            t.handedOver += 1
            switch result {
            case .success(let r):
                t.verdicts += 1
                switch (kind, r.verdict) {
                case (_, .accept): t.accepted += 1
                case (.replyAll, _) where plan.isBlocked(r):
                    t.blocked += 1
                    tripJustSeen = true
                case (_, .discard):
                    // why: a discard would drop the message silently: that is a vanished message.
                    t.vanished += 1
                    unexpected.withLock { $0.append("\(kind) discarded") }
                default:
                    unexpected.withLock { $0.append("\(kind): unexpected verdict \(r.verdict)") }
                }
            case .failure(let e):
                t.inFlightFailures += 1
                switch e {
                case .timeout: t.timeouts += 1
                case .connectionClosed, .io: break
                default: unexpected.withLock { $0.append("\(kind): \(e)") }
                }
            }
        }
        if tripJustSeen, snapshotLines.withLock({ $0.atTrip == nil }) {
            moments.withLock { if $0.trip == nil { $0.trip = Date() } }
            let lines = snapshotsWritten()
            snapshotLines.withLock { if $0.atTrip == nil { $0.atTrip = lines } }
        }
    }

    /// One client connection replaying the storm until the daemon dies under it.
    func work(worker w: Int) {
        let plan = self.plan
        var random = KillRandom(seed: plan.workerSeeds[w])
        let threadStart = Date()
        let client: MilterClient
        do {
            client = try MilterClient(connectingTo: "unix:\(socketPath)", configuration: .init(timeout: .seconds(15)))
            _ = try client.connect(hostname: "mx\(w).example.test", address: .inet(address: "192.0.2.\(10 + w)", port: UInt16(41000 + w)))
            _ = try client.helo("mx\(w).example.test")
        } catch {
            // why: nothing was handed over on a connection that never opened; the MTA applies
            // milter_default_action to the whole session. Fine if the kill came first; a
            // failure with the daemon alive is not.
            let failed = Date()
            let kill = moments.withLock { $0.kill }
            let text = String(format: "worker %d: thread started +%.2f s, failed +%.2f s, kill at %@: %@", w,
                              threadStart.timeIntervalSince(born), failed.timeIntervalSince(born),
                              kill.map { String(format: "+%.2f s", $0.timeIntervalSince(born)) } ?? "none", "\(error)")
            if killed.load(ordering: .sequentiallyConsistent) {
                neverStarted.withLock { $0.append(text) }
            } else {
                unexpected.withLock { $0.append(text) }
            }
            return
        }
        defer { client.quit() }
        // why no stop flag: an MTA goes on handing messages over until the connection fails.
        while true {
            let ticket = tickets.wrappingAdd(1, ordering: .sequentiallyConsistent).newValue
            let kind = Self.pick(&random)
            let message = message(kind, number: numbers.wrappingAdd(1, ordering: .relaxed).newValue)
            let mine = killAt.withLock { at -> Bool in
                guard let k = at, ticket >= k else { return false }
                at = Int.max
                return true
            }
            if ticket >= KillLoopTests.ticketCap, !killed.load(ordering: .sequentiallyConsistent) {
                forced.store(true, ordering: .sequentiallyConsistent)
                kill()
            }
            let result = Result { () throws(ClientError) in
                try Self.send(message, on: client, killing: mine ? plan.step : nil) { self.kill() }
            }
            handOver(kind, result: result)
            if case .failure = result { return }
            if case .afterSnapshot(let extra) = plan.anchor, ticket % 8 == 0 {
                armAfterSnapshot(ticket: ticket, extra: extra)
            }
        }
    }

    /// Odd rounds: once the log shows a snapshot begun after the trip was seen, pick the kill.
    private func armAfterSnapshot(ticket: Int, extra: Int) {
        guard let atTrip = snapshotLines.withLock({ $0.atTrip }), killAt.withLock({ $0 == nil }) else { return }
        // why +2: the write in progress when the trip was seen may hold the ledger from before it;
        // the next one starts only after that one is logged.
        guard snapshotsWritten() >= atTrip + 2 else { return }
        killAt.withLock { if $0 == nil { $0 = ticket + extra } }
    }

    static func pick(_ random: inout KillRandom) -> Kind {
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<55: .replyAll
        case 55..<75: .direct
        case 75..<93: .normal
        default: .announcement
        }
    }

    func message(_ kind: Kind, number n: Int) -> MilterMessage {
        let plan = self.plan
        switch kind {
        case .replyAll: return Mail.replyAll(n, root: plan.root, subject: plan.subject)
        case .direct: return Mail.direct(n, root: plan.root)
        case .announcement: return Mail.original(root: "news\(n).r\(plan.round)@example.test", subject: "News \(n)")
        case .normal:
            return MilterMessage(sender: "<user\(n)@example.test>", recipients: ["<ann@example.test>", "<bob@example.test>"],
                                 headers: [HeaderField(name: "From", value: "user\(n)@example.test"),
                                           HeaderField(name: "To", value: "ann@example.test, bob@example.test"),
                                           HeaderField(name: "Message-ID", value: "<lunch\(n).r\(plan.round)@example.test>"),
                                           HeaderField(name: "Subject", value: "Lunch \(n)")])
        }
    }

    /// `MilterClient.send`, step by step, with the kill at `step` when this is the killer's message.
    static func send(_ m: MilterMessage, on c: MilterClient, killing step: KillPlan.Step?,
                     kill: () -> Void) throws(ClientError) -> MessageResult {
        func decided(_ r: StepReply) -> Bool { if case .decided = r { true } else { false } }
        if step == .beforeMail { kill() }
        if decided(try c.mail(from: m.sender, macros: m.macros[.mail] ?? [:])) { return try c.endOfMessage() }
        if step == .afterMail { kill() }
        for r in m.recipients {
            if decided(try c.rcpt(to: r)) { return try c.endOfMessage() }
        }
        if step == .afterRecipients { kill() }
        if decided(try c.data()) { return try c.endOfMessage() }
        for h in m.headers {
            if decided(try c.header(name: h.name, value: h.value)) { return try c.endOfMessage() }
        }
        if decided(try c.endOfHeaders()) { return try c.endOfMessage() }
        if step == .afterHeaders { kill() }
        return try c.endOfMessage()
    }
}

typealias KillRandom = SeededRandom

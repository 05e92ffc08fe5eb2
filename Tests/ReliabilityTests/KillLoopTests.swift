import Foundation
import Glibc
import MilterWire
import Synchronization
import TestSupport
import Testing

/// SIGKILL at random points of a storm replay, then a restart on the same snapshot, round after
/// round. Every message a client handed over must end with a verdict or with the connection
/// failing under it (what the MTA then answers with milter_default_action): none may vanish. A
/// storm that a completed snapshot provably held must still be blocked after the restart.
///
/// Rounds: `BREAKWATER_FAULT_ROUNDS` (default 5, the CI run; 100 for the long run), seed
/// `BREAKWATER_FAULT_SEED` (default 9). Even rounds kill at a random count of messages handed
/// over (1...`maxAnywhere`); odd rounds at a random count (0...100) of messages handed over after
/// the log shows the second snapshot written after the trip was seen (so the storm is in it).
@Suite("SIGKILL at random points of a storm replay", .serialized)
struct KillLoopTests {
    static let settings = FaultTests.stormSettings + "\ncontrol_socket =\n"
    static let workers = 3
    static let maxAnywhere = 5_000
    /// A round that hands over this many messages without its kill is a failed round.
    static let ticketCap = 60_000

    static var rounds: Int {
        ProcessInfo.processInfo.environment["BREAKWATER_FAULT_ROUNDS"].flatMap { Int($0) } ?? 5
    }
    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["BREAKWATER_FAULT_SEED"].flatMap { UInt64($0) } ?? 9
    }

    @Test("SIGKILL at random points of a storm replay: no message vanishes, a snapshotted block is kept")
    func killLoop() throws {
        let daemon = try TestDaemon(Self.settings)
        defer { daemon.finish() }
        var random = KillRandom(seed: Self.seed)
        var totals = KillTotals()
        let started = Date()
        for round in 0..<Self.rounds {
            let roundStart = Date()
            let plan = KillPlan(round: round, random: &random)
            let outcome = try Self.play(plan, on: daemon)
            totals.add(outcome)
            print("reliability: kill round \(round): \(plan) \(outcome.summary) "
                  + String(format: "(%.1f s)", Date().timeIntervalSince(roundStart)))
            if !outcome.unexpected.isEmpty || outcome.tally.vanished > 0 {
                Issue.record("round \(round): \(outcome.unexpected.prefix(5))\n\(daemon.log.suffix(3000))")
            }
        }
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: daemon.folder))?
            .filter { $0.hasPrefix(".ledger.snapshot.tmp.") } ?? []
        print("reliability: kill loop seed \(Self.seed): \(totals.summary); temp files left by kills: \(leftovers.count); "
              + String(format: "%.1f s", Date().timeIntervalSince(started)))

        #expect(totals.kills == Self.rounds)
        #expect(totals.tally.handedOver == totals.tally.verdicts + totals.tally.inFlightFailures,
                "handed over \(totals.tally.handedOver), verdicts \(totals.tally.verdicts), failed in flight \(totals.tally.inFlightFailures)")
        #expect(totals.tally.vanished == 0)
        #expect(totals.tally.timeouts == 0, "a client waited out its timeout: the daemon hung instead of dying")
        #expect(totals.restartsIntact + totals.restartsSetAside + totals.restartsWithoutSnapshot == Self.rounds)
        #expect(totals.blocksProven == totals.blocksKeptWhenProven, "a block a snapshot held was lost")
        if Self.rounds >= 2 { #expect(totals.blocksProven >= Self.rounds / 2, "rounds with a snapshotted storm: \(totals.blocksProven)") }
        #expect(totals.directAfterRestart == Self.rounds)
        #expect(totals.forcedKills == 0, "a round hit the cap of \(Self.ticketCap) messages before its kill point")
    }

    /// One round on the running daemon: original, workers replaying the storm, a kill, a restart,
    /// and the checks after it.
    static func play(_ plan: KillPlan, on daemon: TestDaemon) throws -> KillOutcome {
        let state = RoundState(plan: plan, pid: daemon.process.pid, logPath: daemon.process.logPath,
                               socketPath: daemon.socketPath, snapshotPath: daemon.snapshotPath)
        let starter = try daemon.client()
        state.handOver(.announcement, result: Result { () throws(ClientError) in try starter.send(Mail.original(root: plan.root, subject: plan.subject)) })
        starter.quit()

        let group = DispatchGroup()
        for w in 0..<workers {
            group.enter()
            let thread = Thread { [state] in
                state.work(worker: w)
                group.leave()
            }
            thread.start()
        }
        let finished = group.wait(timeout: .now() + 120) == .success
        if !state.killed.load(ordering: .sequentiallyConsistent) { state.kill() }
        daemon.kill()
        guard finished else { throw ChildProcess.SpawnError(description: "workers did not finish within 120 s") }

        var outcome = KillOutcome(tally: state.tally.withLock { $0 }, forced: state.forced.load(ordering: .sequentiallyConsistent))
        outcome.unexpected = state.unexpected.withLock { $0 }
        outcome.neverStarted = state.neverStarted.withLock { $0 }
        outcome.snapshotAge = state.snapshotAge.withLock { $0 }
        let (tripLines, killLines) = state.snapshotLines.withLock { ($0.atTrip, $0.atKill) }
        outcome.tripSeen = tripLines != nil
        if let t = tripLines, let k = killLines { outcome.blockProven = k >= t + 2 }
        let (trip, kill) = state.moments.withLock { ($0.trip, $0.kill) }
        if let trip, let kill { outcome.tripToKill = kill.timeIntervalSince(trip) }

        try daemon.restart()
        let restoredWord = TestEnvironment.waitUntil(seconds: 10) {
            let log = daemon.log
            return log.contains("restored ") || log.contains("is unusable") || log.contains("no snapshot at")
        }
        let log = daemon.log
        if !restoredWord { outcome.unexpected.append("no restore line after restart:\n\(log)") }
        if log.contains("is unusable") { outcome.restart = .setAside } else if log.contains("restored ") { outcome.restart = .intact } else { outcome.restart = .none }

        let client = try daemon.client()
        defer { client.quit() }
        let reply = try client.send(Mail.replyAll(900_000 + plan.round, root: plan.root, subject: plan.subject))
        // why the log: with the reply counts restored but not the storm, this reply-all would
        // trip a new storm and get the same 550; only a "storm tripped" line tells them apart.
        let retripped = daemon.log.split(separator: "\n").contains { $0.contains("storm tripped") && $0.contains("\(plan.subject)\"") }
        outcome.blockKept = plan.isBlocked(reply) && !retripped
        outcome.retripped = plan.isBlocked(reply) && retripped
        if !plan.isBlocked(reply) && reply.verdict != .accept { outcome.unexpected.append("reply-all after restart: \(reply.verdict)") }
        if outcome.blockProven && !outcome.blockKept {
            outcome.unexpected.append("storm in \(plan.root) was in a completed snapshot, yet the reply-all after restart got \(reply.verdict)")
        }
        let direct = try client.send(Mail.direct(900_500 + plan.round, root: plan.root))
        outcome.directPassed = direct.verdict == .accept
        if !outcome.directPassed { outcome.unexpected.append("direct reply after restart: \(direct.verdict)") }
        return outcome
    }
}

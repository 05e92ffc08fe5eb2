import BreakwaterConfig
import Daemon
import Foundation
import Replay
import StormCore
import TestSupport
import Testing

/// The same traffic through different paths must meet the same verdicts: the live daemon and
/// the offline engine, miltertest and the replay harness, the traffic and its own recording.
/// Each test runs the real `breakwater` binary with the default policy; only the audience
/// table (and what a test names) differs.
@Suite("cross-checks against the real daemon")
struct CrossCheckTests {
    static let scenarios = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Scenarios").path

    /// Default policy: nothing of TestDaemon's small test numbers, no snapshot to carry state.
    static let defaults = """
        socket_group =
        snapshot_path =
        log_level = info
        """

    /// A daemon whose audience table is `sizes`, plus `settings`; always finished.
    private func withDaemon(sizes: String, _ settings: String = "", folder: String? = nil,
                            _ body: (TestDaemon) throws -> Void) throws {
        let daemon = try TestDaemon("list_size_maps = \(sizes)\n" + settings, base: Self.defaults, sizes: nil, folder: folder)
        defer { daemon.finish() }
        try body(daemon)
    }

    private func live(_ files: [String], against daemon: TestDaemon) -> LiveReport {
        var options = LiveReplay.Options(files: files, endpoint: daemon.listen, timeout: .seconds(20))
        options.keepOutcomes = true
        return LiveReplay.run(options)
    }

    /// The offline replay with the daemon's own config file, read by the daemon's loader.
    private func offline(_ files: [String], config path: String) throws -> OfflineReport {
        let config = try ConfigLoader.load(path: path, checks: .daemon).get()
        var options = OfflineReplay.Options(files: files, policy: config.policy)
        let (directory, warnings) = AudienceTables.load(config)
        options.preloaded = (directory, warnings)
        return OfflineReplay.run(options)
    }

    /// Messages per action (`accept`, `reject`, ...), from the outcomes' first word.
    private static func counts(_ outcomes: [String]) -> [String: Int] {
        outcomes.reduce(into: [:]) { $0[String($1.prefix { $0 != " " }), default: 0] += 1 }
    }

    @Test(arguments: ["nyu-2012", "normal-traffic"])
    func liveAndOfflineGiveEveryMessageTheSameVerdict(_ name: String) throws {
        let session = "\(Self.scenarios)/\(name).session"
        try withDaemon(sizes: "\(Self.scenarios)/\(name).sizes") { daemon in
            let liveReport = live([session], against: daemon)
            let offlineReport = try offline([session], config: daemon.configPath)

            #expect(liveReport.problems.isEmpty && liveReport.errors.isEmpty, "\(liveReport.text)")
            #expect(offlineReport.problems.isEmpty, "\(offlineReport.problems)")
            #expect(liveReport.tally.failed == 0, "\(liveReport.text)\n\(daemon.log)")
            #expect(offlineReport.tally.failed == 0, "\(offlineReport.text)")
            #expect(liveReport.tally.passed == offlineReport.tally.passed)

            let liveByLine = liveReport.outcomes.map { ("\($0.file):\($0.line)", $0.outcome) }
            let offlineByLine = offlineReport.entries.map { ("\($0.file):\($0.line)", $0.outcome) }.sorted { $0.0 < $1.0 }
            #expect(liveByLine.count == offlineByLine.count)
            #expect(Self.counts(liveByLine.map(\.1)) == Self.counts(offlineByLine.map(\.1)))
            for ((where1, liveOutcome), (where2, offlineOutcome)) in zip(liveByLine.sorted { $0.0 < $1.0 }, offlineByLine) {
                #expect(where1 == where2)
                #expect(liveOutcome == offlineOutcome, "\(where1)")
            }
        }
    }

    @Test func breakwaterReplayOfflineJudgesWithTheDaemonsConfig() throws {
        let session = "\(Self.scenarios)/nyu-2012.session"
        try withDaemon(sizes: "\(Self.scenarios)/nyu-2012.sizes") { daemon in
            let judged = try Self.breakwater(["replay", "offline", "--config", daemon.configPath, session], in: daemon.folder)
            #expect(judged.status == .exited(0), "\(judged.output)")
            let expected = try offline([session], config: daemon.configPath).tally.summaryLine
            #expect(judged.output.split(separator: "\n").last.map(String.init) == expected)
            // An explicit knob beats the file: without the hard gate the scenario's expectations fail.
            let overridden = try Self.breakwater(["replay", "offline", "--config", daemon.configPath, "--hard-gate", "off",
                                                  session], in: daemon.folder)
            #expect(overridden.status == .exited(1), "\(overridden.output)")
        }
    }

    @Test(.enabled(if: Miltertest.isInstalled, "needs Debian's miltertest"))
    func miltertestAndTheHarnessSeeTheSameVerdicts() throws {
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-crosscheck")
        defer { TestEnvironment.remove(folder) }
        let (sessionPath, sizesPath) = try Self.smallStorm(in: folder)
        let file = try SessionParser.load(paths: [sessionPath])[0]
        let lua = try MiltertestScript.lua(for: file, name: "storm-crosscheck")
        try lua.write(toFile: "\(folder)/storm-crosscheck.lua", atomically: true, encoding: .utf8)
        let settings = "trip_replies = 10\nhard_gate = off\n"

        var scripted: [String: String] = [:]
        try withDaemon(sizes: sizesPath, settings) { daemon in
            let run = try Miltertest.run("storm-crosscheck", luaFolder: folder, socket: daemon.miltertestSocket,
                                         in: daemon.folder)
            #expect(run.passed, "\(run.output)\n\(daemon.log)")
            scripted = MiltertestScript.verdicts(in: run.output)
        }
        try withDaemon(sizes: sizesPath, settings) { daemon in
            let report = live([sessionPath], against: daemon)
            #expect(report.errors.isEmpty && report.problems.isEmpty, "\(report.text)")
            #expect(report.outcomes.count == file.messageCount)
            #expect(scripted.count == file.messageCount)
            for outcome in report.outcomes {
                let key = "\(outcome.file):\(outcome.line)"
                #expect(scripted[key] == MiltertestScript.verdictClass(outcome.outcome), "\(key): \(outcome.outcome)")
            }
            // The storm did trip: some replies were refused, so the comparison covered both kinds.
            #expect(scripted.values.contains("refused") && scripted.values.contains("accept"), "\(scripted)")
        }
    }

    @Test func aRecordingReplaysAsARegressionTest() throws {
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-record")
        defer { TestEnvironment.remove(folder) }
        let (sessionPath, sizesPath) = try Self.smallStorm(in: folder)
        let recordPath = "\(folder)/recorded.session"
        let settings = "trip_replies = 10\nhard_gate = off\nrecord_path = \(recordPath)\n"

        var played = LiveReport()
        try withDaemon(sizes: sizesPath, settings) { daemon in
            played = live([sessionPath], against: daemon)
            let (ending, timedOut) = daemon.stop()
            #expect(!timedOut && ending == .exited(0), "\(daemon.log)")
        }
        #expect(played.tally.failed == 0, "\(played.text)")

        let recorded = try SessionParser.load(paths: [recordPath])[0]
        let original = try SessionParser.load(paths: [sessionPath])[0]
        #expect(recorded.messageCount == original.messageCount)
        #expect(recorded.expectationCount >= recorded.messageCount)
        // Only what Breakwater reads is kept: no body, no header it ignores.
        let kept: Set<String> = ["message-id", "in-reply-to", "references", "subject", "from", "to", "cc",
                                 "auto-submitted", "x-auto-response-suppress", "precedence"]
        let messages = recorded.sessions.flatMap(\.messages)
        #expect(messages.allSatisfy { $0.body == nil && $0.headers.allSatisfy { kept.contains($0.name.lowercased()) } })
        #expect(messages.contains { $0.expectations.contains { if case .reject = $0.kind { true } else { false } } })

        // A fresh daemon with the same settings gives the very verdicts the first one recorded.
        let replayFolder = try TestEnvironment.temporaryFolder(prefix: "breakwater-record-replay")
        try withDaemon(sizes: sizesPath, settings.replacingOccurrences(of: recordPath, with: "\(replayFolder)/again.session"),
                       folder: replayFolder) { daemon in
            let again = live([recordPath], against: daemon)
            #expect(again.errors.isEmpty && again.problems.isEmpty, "\(again.text)")
            #expect(again.tally.failed == 0 && again.tally.passed == recorded.expectationCount, "\(again.text)")
        }
    }

    @Test func recordedAddressesAreHashedWithTheKey() throws {
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-record-hash")
        defer { TestEnvironment.remove(folder) }
        let (sessionPath, sizesPath) = try Self.smallStorm(in: folder)
        let recordPath = "\(folder)/recorded.session"
        try withDaemon(sizes: sizesPath, "record_path = \(recordPath)\nrecord_hash_key = s3cret\n") { daemon in
            #expect(live([sessionPath], against: daemon).errors.isEmpty)
            _ = daemon.stop()
        }
        let text = try String(contentsOfFile: recordPath, encoding: .utf8)
        let hasher = AddressHasher(key: "s3cret")
        #expect(!text.contains("replier"), "\(text.prefix(2000))")
        #expect(text.contains(hasher.hashAddress("<sender@storm.example>")), "\(text.prefix(2000))")
    }

    @Test func anUnwritableRecordPathIsLoggedOnceAndMailFlows() throws {
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-record-bad")
        defer { TestEnvironment.remove(folder) }
        let (sessionPath, sizesPath) = try Self.smallStorm(in: folder)
        try withDaemon(sizes: sizesPath, "trip_replies = 10\nhard_gate = off\nrecord_path = \(folder)/no/such/dir/r.session\n") { daemon in
            let report = live([sessionPath], against: daemon)
            #expect(report.errors.isEmpty && report.tally.failed == 0, "\(report.text)")
            #expect(daemon.waitForLog("cannot append to record_path"), "\(daemon.log)")
            #expect(daemon.log.components(separatedBy: "cannot append to record_path").count == 2, "\(daemon.log)")
        }
    }

    /// A storm on a list of 3,000: 20 reply-alls, the 10th trips; the hard gate is off.
    static func smallStorm(in folder: String) throws -> (session: String, sizes: String) {
        var storm = StormScenario()
        storm.audience = 3_000
        storm.list = "all@storm.example"
        storm.repliers = 20
        storm.over = 20 * 60
        storm.directMix = 0.2
        storm.seed = 7
        storm.start = TimeText.timestamp("2026-01-05T09:00:00Z")
        storm.expectPolicy = PolicyModel.Settings.named("no-gate")!
        storm.policyName = "no-gate"
        let generated = storm.generate()
        let session = "\(folder)/storm.session", sizes = "\(folder)/storm.sizes"
        try generated.text.write(toFile: session, atomically: true, encoding: .utf8)
        try generated.sizes.write(toFile: sizes, atomically: true, encoding: .utf8)
        return (session, sizes)
    }

    /// Runs the built `breakwater` with `arguments` and waits for it.
    static func breakwater(_ arguments: [String], in folder: String) throws -> (status: ChildProcess.Ending, output: String) {
        guard let binary = TestDaemon.binary else { throw ChildProcess.SpawnError(description: "breakwater is not built") }
        let run = try ChildProcess.run(binary, arguments, logPath: "\(folder)/breakwater-\(arguments.prefix(2).joined(separator: "-")).log")
        return (run.ending, run.output)
    }
}

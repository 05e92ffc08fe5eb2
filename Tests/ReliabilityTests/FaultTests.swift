import Foundation
import Glibc
import MilterWire
import TestSupport
import Testing

/// Faults around the snapshot: a SIGKILL in the middle of a storm, a snapshot folder that cannot
/// be written, a snapshot cut in half. The daemon keeps what it wrote, says what went wrong, and
/// never stops filtering.
@Suite("Killed and broken snapshots", .serialized)
struct FaultTests {
    static let stormSettings = """
        hard_gate = off
        storm_reply = 550 5.7.1 Thread {subject} is blocked
        """

    /// The storm's verdict: 550 with our text, for the thread about `subject`.
    static func isBlocked(_ result: MessageResult, subject: String = "Welcome") -> Bool {
        guard case .reply(let r) = result.verdict else { return false }
        return r.code == 550 && r.text.contains("Thread \(subject) is blocked")
    }

    /// The original and trip_replies (2) reply-alls pass; the next is blocked: the storm tripped.
    static func tripStorm(_ daemon: TestDaemon, root: String, subject: String = "Welcome") throws {
        let client = try daemon.client()
        defer { client.quit() }
        #expect(try client.send(Mail.original(root: root, subject: subject)).verdict == .accept)
        for n in 1...2 {
            let r = try client.send(Mail.replyAll(n, root: root, subject: subject))
            try #require(r.verdict == .accept, "reply-all \(n): \(r.verdict)\n\(daemon.log)")
        }
        let third = try client.send(Mail.replyAll(3, root: root, subject: subject))
        try #require(isBlocked(third, subject: subject), "reply-all 3 not blocked: \(third.verdict)\n\(daemon.log)")
    }

    static func modified(_ path: String) -> timespec? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return st.st_mtim
    }

    @Test("SIGKILL in the middle of a storm: the restarted daemon keeps the block")
    func killMidStorm() throws {
        let daemon = try TestDaemon(Self.stormSettings)
        defer { daemon.finish() }
        let root = "root-kill@example.test"
        try Self.tripStorm(daemon, root: root)

        // Keep the storm going (each blocked reply-all changes the ledger) until a snapshot
        // written after the trip is on disk: its mtime moves past what it was at the trip.
        let atTrip = Self.modified(daemon.snapshotPath)
        let client = try daemon.client()
        var n = 4
        let written = TestEnvironment.waitUntil(seconds: 20) {
            let r = try? client.send(Mail.replyAll(n, root: root))
            n += 1
            #expect(r.map { Self.isBlocked($0) } ?? false, "reply-all \(n - 1) during the storm: \(String(describing: r?.verdict))")
            guard let now = Self.modified(daemon.snapshotPath) else { return false }
            guard let before = atTrip else { return true }
            return now.tv_sec != before.tv_sec || now.tv_nsec != before.tv_nsec
        }
        try #require(written, "no snapshot written after the trip:\n\(daemon.log)")
        // Killed with a message half sent: MAIL and RCPT, no end of message.
        _ = try client.mail(from: "<user99@example.test>")
        _ = try client.rcpt(to: "<all@example.test>")
        daemon.kill()
        #expect(!daemon.isAlive)

        try daemon.restart()
        let after = try daemon.client()
        defer { after.quit() }
        let blocked = try after.send(Mail.replyAll(100, root: root))
        #expect(Self.isBlocked(blocked), "the block was lost across SIGKILL: \(blocked.verdict)\n\(daemon.log)")
        // The storm itself came back, not just the reply counts (which would trip it anew).
        #expect(!daemon.log.contains("storm tripped"), "the storm tripped again after the restart:\n\(daemon.log)")
        let direct = try after.send(Mail.direct(101, root: root))
        #expect(direct.verdict == .accept, "\(direct.verdict)")
        print("reliability: SIGKILL after \(n - 4) blocked reply-alls during the storm; block kept after restart")
    }

    @Test("a snapshot folder that cannot be written is logged and filtering goes on")
    func unwritableSnapshotFolder() throws {
        // why a file in the way: the tests run as root, who may write any folder whatever its
        // mode, but nobody can create a file under a regular file (ENOTDIR).
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-reliability")
        try Data("not a folder".utf8).write(to: URL(fileURLWithPath: "\(folder)/blocked"))
        let daemon = try TestDaemon(Self.stormSettings, folder: folder, snapshotPath: "\(folder)/blocked/ledger.snapshot")
        defer { daemon.finish() }
        try Self.tripStorm(daemon, root: "root-unwritable@example.test")
        #expect(daemon.waitForLog("cannot write snapshot"), "\(daemon.log)")
        let client = try daemon.client()
        defer { client.quit() }
        #expect(Self.isBlocked(try client.send(Mail.replyAll(4, root: "root-unwritable@example.test"))))
        #expect(try client.send(Mail.direct(5, root: "root-unwritable@example.test")).verdict == .accept)
        #expect(daemon.isAlive)
    }

    @Test("a snapshot cut in half is set aside and the daemon starts and filters")
    func truncatedSnapshot() throws {
        let daemon = try TestDaemon(Self.stormSettings)
        defer { daemon.finish() }
        try Self.tripStorm(daemon, root: "root-cut@example.test")
        let (ending, timedOut) = daemon.stop()
        try #require(!timedOut && ending == .exited(0), "\(ending)\n\(daemon.log)")
        let whole = try Data(contentsOf: URL(fileURLWithPath: daemon.snapshotPath))
        try #require(whole.count > 40, "snapshot of \(whole.count) bytes")
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: daemon.snapshotPath))

        try daemon.restart()
        #expect(daemon.waitForLog("is unusable"), "\(daemon.log)")
        let files = try FileManager.default.contentsOfDirectory(atPath: daemon.folder)
        #expect(files.contains { $0.hasPrefix("ledger.snapshot.corrupt-") }, "\(files)")
        // The old storm is gone with the snapshot; a new one trips as usual.
        try Self.tripStorm(daemon, root: "root-after-cut@example.test")
        #expect(daemon.isAlive)
    }

    /// A kill while a snapshot is being written leaves `.ledger.snapshot.tmp.PID` behind (2 in
    /// 100 kills in KillLoopTests), each as large as a snapshot. The next start removes those
    /// of processes that are gone, and leaves one whose process still runs.
    @Test("temporary snapshots left by a killed daemon are removed at the next start")
    func staleTemporarySnapshotsAreRemoved() throws {
        let daemon = try TestDaemon(Self.stormSettings)
        defer { daemon.finish() }
        let (ending, timedOut) = daemon.stop()
        try #require(!timedOut && ending == .exited(0), "\(ending)\n\(daemon.log)")
        // A process that has ended (and been reaped): its pid names no process now.
        let gone = try ChildProcess("/bin/true", [], logPath: "\(daemon.folder)/true.log")
        _ = gone.waitForExit(within: 10)
        let stale = "\(daemon.folder)/.ledger.snapshot.tmp.\(gone.pid)"
        let live = "\(daemon.folder)/.ledger.snapshot.tmp.\(getpid())"
        for file in [stale, live] { try Data(repeating: 7, count: 4_096).write(to: URL(fileURLWithPath: file)) }
        try daemon.restart()
        #expect(daemon.waitForLog("removed \(stale), a snapshot being written when process \(gone.pid) ended"), "\(daemon.log)")
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: live), "a running process's temporary file must stay")
        try Self.tripStorm(daemon, root: "root-after-stale@example.test")
    }
}

import Foundation
import Glibc
import MilterWire
import TestSupport
import Testing

/// The snapshot folder on a real full disk: a 64 KiB tmpfs filled to ENOSPC. Needs root (mount);
/// skipped otherwise, and passes with a note when the kernel refuses the mount.
@Suite("A full disk under the snapshot", .serialized, .enabled(if: getuid() == 0, "needs root to mount a tmpfs"))
struct FullDiskTests {
    static let settings = FaultTests.stormSettings + "\ncontrol_socket =\n"

    /// Completed snapshot writes in the current process's log.
    static func written(_ daemon: TestDaemon) -> Int {
        daemon.log.components(separatedBy: "snapshot written").count - 1
    }

    /// Waits until a snapshot begun after now is on disk: two more "snapshot written" lines
    /// (the write in progress may hold the ledger from before).
    static func waitForFreshSnapshot(_ daemon: TestDaemon) -> Bool {
        let now = written(daemon)
        return TestEnvironment.waitUntil(seconds: 20) { written(daemon) >= now + 2 }
    }

    /// Fills the file system under `folder` with `path` until a write fails; returns its errno.
    static func fill(_ path: String) -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0xAB, count: 4096)
        // why bounded: a 64 KiB tmpfs takes at most 16 chunks; anything else is not the disk we made.
        for _ in 0..<1_000 {
            let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 { return errno }
            if n == 0 { return 0 }
            // A short write: the next one says why.
        }
        return 0
    }

    static func temporaryFiles(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.contains(".tmp.") }
    }

    @Test("a full disk: logged, filtering goes on, the last good snapshot survives, and writing resumes when space is freed")
    func fullDisk() throws {
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-reliability")
        let disk = "\(folder)/disk"
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: false)
        guard mount("tmpfs", disk, "tmpfs", 0, "size=64k,mode=0700") == 0 else {
            let why = String(cString: strerror(errno))
            TestEnvironment.remove(folder)
            print("reliability: full disk test skipped: cannot mount a tmpfs: \(why)")
            return
        }
        var daemon: TestDaemon?
        defer {
            daemon?.process.killNow()
            umount2(disk, Int32(MNT_DETACH))
            TestEnvironment.remove(folder)
        }
        let snapshot = "\(disk)/ledger.snapshot"
        let started = try TestDaemon(Self.settings, folder: folder, snapshotPath: snapshot)
        daemon = started

        // 1. A storm, and a snapshot that holds it.
        try FaultTests.tripStorm(started, root: "root-disk-a@example.test")
        try #require(Self.waitForFreshSnapshot(started), "\(started.log)")

        // 2. The disk fills up: the next write fails (logged once: a failure is logged once per
        // reason). The snapshot on disk is then the last good one; a second storm changes the
        // ledger, and later ticks fail too.
        let filled = Self.fill("\(disk)/filler")
        try #require(filled == ENOSPC, "filling the tmpfs stopped with \(String(cString: strerror(filled)))")
        try #require(started.waitForLog("No space left on device"), "\(started.log)")
        let good = try Data(contentsOf: URL(fileURLWithPath: snapshot))
        let line = started.log.split(separator: "\n").first { $0.contains("cannot write snapshot") }
        #expect(line?.contains("filtering goes on") ?? false, "\(started.log)")
        print("reliability: full disk: \(line ?? "no line"); last good snapshot \(good.count) bytes")
        try FaultTests.tripStorm(started, root: "root-disk-b@example.test", subject: "Second")
        #expect(started.isAlive)
        do {
            let client = try started.client()
            defer { client.quit() }
            #expect(FaultTests.isBlocked(try client.send(Mail.replyAll(10, root: "root-disk-a@example.test"))))
            #expect(FaultTests.isBlocked(try client.send(Mail.replyAll(11, root: "root-disk-b@example.test", subject: "Second")), subject: "Second"))
            #expect(try client.send(Mail.direct(12, root: "root-disk-b@example.test")).verdict == .accept)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: snapshot)) == good, "the last good snapshot changed under a full disk")
        #expect(Self.temporaryFiles(disk).isEmpty, "temp files left: \(Self.temporaryFiles(disk))")

        // 3. Killed while the disk is still full: the last good snapshot restores storm A.
        started.kill()
        try started.restart()
        #expect(started.waitForLog("restored "), "\(started.log)")
        do {
            let client = try started.client()
            defer { client.quit() }
            #expect(FaultTests.isBlocked(try client.send(Mail.replyAll(20, root: "root-disk-a@example.test"))), "\(started.log)")
        }

        // 4. Space comes back: the next write succeeds, and a restart restores what it wrote.
        try FileManager.default.removeItem(atPath: "\(disk)/filler")
        #expect(started.waitForLog("snapshot written"), "\(started.log)")
        try FaultTests.tripStorm(started, root: "root-disk-c@example.test", subject: "Third")
        try #require(Self.waitForFreshSnapshot(started), "\(started.log)")
        started.kill()
        try started.restart()
        #expect(started.waitForLog("restored "), "\(started.log)")
        let client = try started.client()
        defer { client.quit() }
        #expect(FaultTests.isBlocked(try client.send(Mail.replyAll(30, root: "root-disk-a@example.test"))), "\(started.log)")
        #expect(FaultTests.isBlocked(try client.send(Mail.replyAll(31, root: "root-disk-c@example.test", subject: "Third")), subject: "Third"),
                "\(started.log)")
        #expect(Self.temporaryFiles(disk).isEmpty, "temp files left: \(Self.temporaryFiles(disk))")
    }
}

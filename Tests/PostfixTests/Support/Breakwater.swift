import Foundation
import Glibc
import TestSupport

/// The real `breakwater` binary as the private Postfix's milter, on the socket main.cf names,
/// sizing lists from Postfix's own map (`postfix_tables = yes`).
final class Breakwater {
    let postfix: PrivatePostfix
    let configPath: String
    private(set) var process: ChildProcess
    private var generation = 0

    /// Storm settings every scenario starts from: the list (200) is far above the threshold,
    /// the fourth reply-all trips the storm, and no hard gate stops the first.
    static let base = """
        reply_all_threshold = 50
        trip_replies = 3
        hard_gate = off
        """

    /// Writes the config (socket, Postfix tables, snapshot in the Postfix folder, then
    /// `settings`) and starts the daemon; returns once it accepts connections.
    init(_ settings: String, postfix: PrivatePostfix) throws {
        self.postfix = postfix
        configPath = "\(postfix.root)/breakwater.conf"
        try Tool.write("""
            listen = unix:\(postfix.milterSocket)
            socket_group = postfix
            socket_mode = 0660
            postfix_tables = yes
            postfix_config_directory = \(postfix.etc)
            snapshot_path = \(postfix.root)/ledger.snapshot
            log_level = debug
            \(Self.base)
            \(settings)

            """, to: configPath)
        // why: every scenario starts from an empty ledger; a snapshot is only for restarts within one.
        try? FileManager.default.removeItem(atPath: "\(postfix.root)/ledger.snapshot")
        process = try Self.spawn(configPath, log: "\(postfix.root)/breakwater-\(UUID().uuidString.prefix(6)).log")
        try waitUntilListening()
    }

    private static func spawn(_ configPath: String, log: String) throws -> ChildProcess {
        guard let binary = TestEnvironment.executable(named: "breakwater") else {
            throw ChildProcess.SpawnError(description: "breakwater not found next to the test binary; build it first")
        }
        return try ChildProcess(binary, ["run", "--foreground", "--allow-root", "--config", configPath], logPath: log)
    }

    private func waitUntilListening() throws {
        let up = TestEnvironment.waitUntil(seconds: 30) { TestEnvironment.isListening(unixPath: self.postfix.milterSocket) }
        guard up else { throw ChildProcess.SpawnError(description: "breakwater did not start listening:\n\(log)") }
    }

    /// Everything this process logged.
    var log: String { process.output }

    /// Waits (bounded) for `text` in the log.
    func waitForLog(_ text: String, seconds: Double = 30) -> Bool {
        TestEnvironment.waitUntil(seconds: seconds) { self.log.contains(text) }
    }

    /// SIGTERM, as systemd stops it; waits for the exit (libmilter takes up to ~5 s).
    func stop() -> ChildProcess.Ending {
        process.send(SIGTERM)
        return process.waitForExit(within: 30).ending
    }

    /// Starts it again on the same config and snapshot.
    func restart() throws {
        generation += 1
        process = try Self.spawn(configPath, log: "\(postfix.root)/breakwater-restart-\(generation).log")
        try waitUntilListening()
    }

    /// Kills it at once (end of a scenario).
    func finish() { process.killNow() }
}

/// One scenario's thread on the private Postfix: an announcement to all@corp.test by the
/// author, and replies from list members. Names carry the scenario's tag so nothing mixes.
struct StormThread {
    let tag: String
    var subject: String { "Welcome \(tag)" }
    var rootID: String { "<root.\(tag)@corp.test>" }

    /// The announcement to the whole list.
    var announcement: TestMail {
        TestMail(sender: PrivatePostfix.author, recipients: ["all@corp.test"], headers: [
            ("From", "Author <\(PrivatePostfix.author)>"), ("To", "all@corp.test"), ("Subject", subject),
            ("Message-ID", rootID), ("Date", "Tue, 25 Nov 2025 10:00:00 +0000"),
        ])
    }

    /// A reply from user`n` to the list and the author: a reply-all.
    func replyAll(_ n: Int) -> TestMail {
        reply(n, to: ["all@corp.test", PrivatePostfix.author], id: "<reply-all\(n).\(tag)@corp.test>")
    }

    /// A reply from user`n` to the author alone.
    func directReply(_ n: Int) -> TestMail {
        reply(n, to: [PrivatePostfix.author], id: "<direct\(n).\(tag)@corp.test>")
    }

    private func reply(_ n: Int, to recipients: [String], id: String) -> TestMail {
        TestMail(sender: "user\(n)@corp.test", recipients: recipients, headers: [
            ("From", "User \(n) <user\(n)@corp.test>"), ("To", recipients.joined(separator: ", ")),
            ("Subject", "Re: \(subject)"), ("Message-ID", id), ("In-Reply-To", rootID), ("References", rootID),
            ("Date", "Tue, 25 Nov 2025 10:05:00 +0000"),
        ])
    }
}

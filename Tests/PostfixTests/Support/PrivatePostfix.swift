import Foundation
import Glibc
import Synchronization
import TestSupport
import Testing

/// A Postfix of the tests' own: config, queue, data, log and mailboxes in one scratch folder, no
/// chroot, no systemd, SMTP on a free loopback port, local mailboxes for `corp.test` and nothing
/// delivered anywhere else. Breakwater is its milter on a unix socket in the same folder.
final class PrivatePostfix: Sendable {
    /// The mail domain whose mailboxes this Postfix keeps.
    static let domain = "corp.test"
    /// Mailboxes on each half of `all@corp.test`: `user1..100` on group-a, `user101..200` on group-b.
    static let half = 100
    /// Everybody reached through `all@corp.test` (which nests group-a and group-b).
    static let listSize = 2 * half
    /// Who writes the announcements: a mailbox outside the list.
    static let author = "author@corp.test"

    let root: String
    var etc: String { "\(root)/etc" }
    var mailBase: String { "\(root)/mail" }
    var maillogPath: String { "\(root)/log/maillog" }
    /// Postfix spelling of Breakwater's socket, as written in main.cf.
    var milterSocket: String { "\(root)/milter/breakwater.sock" }
    let smtpPort: UInt16
    /// Delivered files already read: path → Message-ID, so polling stays cheap.
    private let seen = Mutex<[String: String]>([:])

    /// The instance a `.privatePostfix` suite shares.
    @TaskLocal static var current: PrivatePostfix?

    /// Builds the folder, the maps and main.cf/master.cf, and starts Postfix (milter lines set).
    init() throws {
        root = try TestEnvironment.temporaryFolder(prefix: "breakwater-postfix")
        smtpPort = try TestEnvironment.freePort()
        let fm = FileManager.default
        // why: Postfix's daemons run as user postfix and must reach the socket and queue.
        chmod(root, 0o755)
        for sub in ["etc", "queue", "data", "log", "mail", "milter"] {
            try fm.createDirectory(atPath: "\(root)/\(sub)", withIntermediateDirectories: true)
        }
        chmod("\(root)/milter", 0o755)
        try fm.copyItem(atPath: "/etc/postfix/master.cf", toPath: "\(etc)/master.cf")
        try fm.copyItem(atPath: "/etc/postfix/dynamicmaps.cf", toPath: "\(etc)/dynamicmaps.cf")
        try Tool.write("compatibility_level = 3.6\n", to: "\(etc)/main.cf")
        // why: "master.lock: Permission denied" unless data_directory belongs to postfix.
        try Tool.run("/bin/chown", ["postfix:postfix", "\(root)/data"], in: root)
        try Tool.run("/bin/chown", ["nobody:nogroup", mailBase], in: root)

        let users = (1...Self.listSize).map { "user\($0)@\(Self.domain)" }
        let mailboxes = (users + [Self.author]).map { "\($0) \(Self.domain)/\($0.prefix { $0 != "@" })/" }
        try Tool.write(mailboxes.joined(separator: "\n") + "\n", to: "\(etc)/mailboxes")
        try Tool.write("""
            all@corp.test      group-a@corp.test, group-b@corp.test
            group-a@corp.test  \(users[0..<Self.half].joined(separator: ", "))
            group-b@corp.test  \(users[Self.half...].joined(separator: ", "))
            team@corp.test     user1@corp.test, user2@corp.test, user3@corp.test

            """, to: "\(etc)/virtual")
        try Tool.run("postmap", ["-c", etc, "hash:\(etc)/mailboxes", "hash:\(etc)/virtual"], in: root)

        let nowhere = "error:this private test Postfix delivers only to corp.test"
        try Tool.postconf(etc, [
            "queue_directory = \(root)/queue", "data_directory = \(root)/data",
            "maillog_file = \(maillogPath)", "maillog_file_prefixes = \(root)/log",
            "inet_interfaces = 127.0.0.1", "inet_protocols = ipv4", "myhostname = mx.corp.test",
            "mydestination = localhost", "alias_maps =", "alias_database =",
            "virtual_mailbox_domains = \(Self.domain)", "virtual_mailbox_base = \(mailBase)",
            "virtual_mailbox_maps = hash:\(etc)/mailboxes", "virtual_alias_maps = hash:\(etc)/virtual",
            "virtual_uid_maps = static:65534", "virtual_gid_maps = static:65534",
            "default_transport = \(nowhere)", "relay_transport = \(nowhere)",
            "smtpd_milters = unix:\(milterSocket)", "non_smtpd_milters = unix:\(milterSocket)",
            "milter_default_action = tempfail", "smtputf8_enable = no", "biff = no",
            // why: a deferred message is retried when the test flushes, not minutes later on its own.
            "queue_run_delay = 3600s", "minimal_backoff_time = 3600s", "maximal_backoff_time = 3600s",
        ], in: root)
        try Tool.run("postconf", ["-c", etc, "-F", "*/*/chroot = n"], in: root)
        try Tool.run("postconf", ["-c", etc, "-M#", "smtp/inet"], in: root)
        try Tool.run("postconf", ["-c", etc, "-M", "127.0.0.1:\(smtpPort)/inet = 127.0.0.1:\(smtpPort) inet n - n - - smtpd"], in: root)
        try Tool.run("postfix", ["-c", etc, "start"], in: root)
        guard TestEnvironment.waitUntil(seconds: 30, { TestEnvironment.isListening(loopbackPort: self.smtpPort) }) else {
            stop()
            throw ChildProcess.SpawnError(description: "private Postfix did not listen on \(smtpPort):\n\(maillog)")
        }
    }

    /// Stops Postfix and removes the folder (unless `BREAKWATER_KEEP_POSTFIX` is set, for a look).
    func stop() {
        _ = try? Tool.run("postfix", ["-c", etc, "stop"], in: root)
        // why: `postfix stop` returns before master has gone; wait for its pid file to go.
        _ = TestEnvironment.waitUntil(seconds: 20) { !FileManager.default.fileExists(atPath: "\(self.root)/queue/pid/master.pid") }
        if ProcessInfo.processInfo.environment["BREAKWATER_KEEP_POSTFIX"] == nil { TestEnvironment.remove(root) }
    }

    /// Everything Postfix logged so far.
    var maillog: String { (try? String(contentsOfFile: maillogPath, encoding: .utf8)) ?? "" }

    /// `postqueue -j`: one entry per queued message.
    func queue() -> [QueuedMessage] {
        guard let text = try? Tool.run("postqueue", ["-c", etc, "-j"], in: root) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let id = object["queue_id"] as? String, let name = object["queue_name"] as? String else { return nil }
            return QueuedMessage(queueID: id, queueName: name)
        }
    }

    /// Waits until nothing is queued except held messages (everything else delivered or bounced).
    func waitUntilQueueSettles(seconds: Double = 90) -> Bool {
        TestEnvironment.waitUntil(seconds: seconds) { queue().allSatisfy { $0.queueName == "hold" } }
    }

    /// Mailboxes (local parts) holding a delivered copy of the message with this Message-ID.
    func mailboxes(holding messageID: String) -> [String] {
        deliveredFiles(holding: messageID).map { path in
            let parts = path.split(separator: "/")
            return String(parts[parts.count - 3])
        }.sorted()
    }

    /// Paths of delivered copies of the message with this Message-ID.
    func deliveredFiles(holding messageID: String) -> [String] {
        let domainFolder = "\(mailBase)/\(Self.domain)"
        let fm = FileManager.default
        var found: [String] = []
        for box in (try? fm.contentsOfDirectory(atPath: domainFolder)) ?? [] {
            for name in (try? fm.contentsOfDirectory(atPath: "\(domainFolder)/\(box)/new")) ?? [] {
                let path = "\(domainFolder)/\(box)/new/\(name)"
                if messageIDOf(path) == messageID { found.append(path) }
            }
        }
        return found
    }

    /// Waits until exactly `count` copies of the message were delivered and the queue settled.
    func waitForDeliveries(of messageID: String, count: Int, seconds: Double = 90) -> Bool {
        TestEnvironment.waitUntil(seconds: seconds) { mailboxes(holding: messageID).count >= count }
            && waitUntilQueueSettles() && mailboxes(holding: messageID).count == count
    }

    private func messageIDOf(_ path: String) -> String? {
        if let known = seen.withLock({ $0[path] }) { return known }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let header = text.components(separatedBy: "\n\n").first ?? text
        guard let line = header.split(separator: "\n").first(where: { $0.lowercased().hasPrefix("message-id:") }) else { return nil }
        let id = line.dropFirst("message-id:".count).trimmingCharacters(in: .whitespaces)
        seen.withLock { $0[path] = id }
        return id
    }

    /// Submits a message through Postfix's `sendmail -t` (the non-SMTP path, non_smtpd_milters).
    func sendmail(_ message: TestMail) throws {
        let file = "\(root)/outgoing-\(UUID().uuidString).eml"
        try Tool.write(message.text(lineEnding: "\n"), to: file)
        defer { try? FileManager.default.removeItem(atPath: file) }
        // why: ChildProcess gives children /dev/null for stdin; a shell redirect hands sendmail the
        // file, and every path travels as an argument, never inside the script text.
        try Tool.run("/bin/sh", ["-c", "exec /usr/sbin/sendmail -C \"$0\" -f \"$1\" -t -i < \"$2\"", etc, message.sender, file], in: root)
    }
}

/// One line of `postqueue -j`.
struct QueuedMessage: Equatable {
    var queueID: String
    /// `incoming`, `active`, `deferred`, `hold` or `maildrop`.
    var queueName: String
}

/// The suite trait that starts one private Postfix for a whole suite and always stops it.
struct PrivatePostfixTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let postfix = try PrivatePostfix()
        defer { postfix.stop() }
        try await PrivatePostfix.$current.withValue(postfix) { try await function() }
    }
}

extension Trait where Self == PrivatePostfixTrait {
    /// Runs the suite against one private Postfix, started before and stopped after.
    static var privatePostfix: Self { Self() }
}

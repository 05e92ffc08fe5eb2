import Foundation
import Glibc
import MilterWire
import TestSupport
import Testing

/// Audience tables that break between two reloads (SIGUSR1): deleted, a directory, a dangling
/// symlink, a FIFO, a line of junk. The hard gate's reply names the audience it counted, so each
/// reply says which tables were in force.
@Suite("Audience tables that break on reload", .serialized)
struct TableReloadFaultTests {
    static let settings = """
        hard_gate = 40
        hard_gate_reply = 550 5.7.1 Gate {audience}
        control_socket =
        """

    /// team@example.test: 45 members.
    static func virtual(members: Int) -> String {
        "team@example.test " + (1...members).map { "member\($0)@example.test" }.joined(separator: ", ") + "\n"
    }

    /// A daemon with the sizes file (all@ 50) and a virtual table (team@ 45 members).
    static func start() throws -> (TestDaemon, sizes: String, virtual: String) {
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-reliability")
        let virtualPath = "\(folder)/virtual"
        try virtual(members: 45).write(toFile: virtualPath, atomically: true, encoding: .utf8)
        let daemon = try TestDaemon(settings + "\nvirtual_alias_maps = \(virtualPath)\n", folder: folder)
        return (daemon, "\(folder)/sizes", virtualPath)
    }

    /// A reply-all from userN to `list` and the author.
    static func replyAll(_ n: Int, to list: String) -> MilterMessage {
        MilterMessage(sender: "<user\(n)@example.test>", recipients: ["<\(list)>", "<boss@example.test>"],
                      headers: [HeaderField(name: "From", value: "user\(n)@example.test"),
                                HeaderField(name: "To", value: list),
                                HeaderField(name: "Cc", value: "boss@example.test"),
                                HeaderField(name: "Message-ID", value: "<table\(n).\(list)>"),
                                HeaderField(name: "In-Reply-To", value: "<root.\(list)>"),
                                HeaderField(name: "Subject", value: "Re: Tables")])
    }

    /// The audience the hard gate counted, or nil when the reply-all passed.
    static func gate(_ daemon: TestDaemon, _ n: Int, to list: String) throws -> Int? {
        let client = try daemon.client()
        defer { client.quit() }
        let r = try client.send(replyAll(n, to: list))
        guard case .reply(let reply) = r.verdict else {
            #expect(r.verdict == .accept, "\(list): \(r.verdict)")
            return nil
        }
        #expect(reply.code == 550 && reply.text.hasPrefix("Gate "), "\(reply)")
        return Int(reply.text.split(separator: " ").last ?? "")
    }

    /// SIGUSR1, and waits until the daemon says the reload is done.
    static func reload(_ daemon: TestDaemon) -> Bool {
        daemon.reload()
    }

    /// Ways to make a table unreadable as root (mode bits do not stop root).
    enum Breakage: CaseIterable, CustomStringConvertible {
        case deleted, directory, danglingSymlink

        func apply(to path: String) throws {
            try FileManager.default.removeItem(atPath: path)
            switch self {
            case .deleted: break
            case .directory: try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            case .danglingSymlink: try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "\(path).gone")
            }
        }

        /// The words of the problem the daemon logs for this breakage.
        var logged: String {
            switch self {
            case .deleted, .danglingSymlink: "cannot open"
            case .directory: "cannot read"
            }
        }

        var description: String {
            switch self {
            case .deleted: "deleted"
            case .directory: "a directory"
            case .danglingSymlink: "a dangling symlink"
            }
        }
    }

    static func restore(_ path: String, _ text: String) throws {
        try? FileManager.default.removeItem(atPath: path)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test("a table that cannot be read on reload is logged, the tables in force are kept, a good table applies at the next reload",
          arguments: Breakage.allCases)
    func unreadableTableIsLogged(_ breakage: Breakage) throws {
        let (daemon, sizes, virtual) = try Self.start()
        defer { daemon.finish() }
        #expect(try Self.gate(daemon, 1, to: "all@example.test") == 51, "\(daemon.log)")
        #expect(try Self.gate(daemon, 2, to: "team@example.test") == 46, "\(daemon.log)")

        try breakage.apply(to: sizes)
        try breakage.apply(to: virtual)
        try #require(Self.reload(daemon), "\(daemon.log)")
        for path in [sizes, virtual] {
            let line = daemon.log.split(separator: "\n").first { $0.contains("\(path):0: \(breakage.logged)") }
            #expect(line != nil, "no problem logged for \(path) (\(breakage)):\n\(daemon.log)")
        }
        #expect(daemon.isAlive)
        // The tables in force before the reload are kept, and filtering goes on.
        #expect(try Self.gate(daemon, 6, to: "all@example.test") == 51, "sizes \(breakage): old table not kept\n\(daemon.log)")
        #expect(try Self.gate(daemon, 7, to: "team@example.test") == 46, "virtual \(breakage): old table not kept\n\(daemon.log)")
        let client = try daemon.client()
        #expect(try client.send(Mail.direct(3, root: "root-tables@example.test")).verdict == .accept)
        client.quit()

        try Self.restore(sizes, "all@example.test 60\n")
        try Self.restore(virtual, Self.virtual(members: 55))
        try #require(Self.reload(daemon), "\(daemon.log)")
        #expect(try Self.gate(daemon, 4, to: "all@example.test") == 61, "\(daemon.log)")
        #expect(try Self.gate(daemon, 5, to: "team@example.test") == 56, "\(daemon.log)")
    }

    @Test("a table with a line of junk on reload: the line is logged, the rest of the table loads")
    func partlyBrokenTableLoadsTheRest() throws {
        let (daemon, sizes, virtual) = try Self.start()
        defer { daemon.finish() }
        #expect(try Self.gate(daemon, 1, to: "all@example.test") == 51, "\(daemon.log)")

        try Self.restore(sizes, "this line is not a size\nall@example.test 70\nother@example.test lots\n")
        try Self.restore(virtual, "lonely@example.test\n" + Self.virtual(members: 48))
        try #require(Self.reload(daemon), "\(daemon.log)")
        #expect(daemon.log.contains("\(sizes):1:"), "\(daemon.log)")
        #expect(daemon.log.contains("\(sizes):3:"), "\(daemon.log)")
        #expect(try Self.gate(daemon, 2, to: "all@example.test") == 71, "\(daemon.log)")
        #expect(try Self.gate(daemon, 3, to: "team@example.test") == 49, "\(daemon.log)")
    }

    @Test("a FIFO in place of a table on reload is a problem, not an empty table")
    func fifoInPlaceOfATable() throws {
        let (daemon, sizes, _) = try Self.start()
        defer { daemon.finish() }
        #expect(try Self.gate(daemon, 1, to: "all@example.test") == 51, "\(daemon.log)")
        try FileManager.default.removeItem(atPath: sizes)
        try #require(mkfifo(sizes, 0o600) == 0)
        // No writer ever opens the FIFO: a blocking open would hang the reload thread.
        try #require(Self.reload(daemon), "the reload did not finish (blocked on the FIFO?)\n\(daemon.log)")
        #expect(daemon.log.contains("\(sizes):0:"), "no problem logged for a FIFO table:\n\(daemon.log)")
        #expect(try Self.gate(daemon, 2, to: "all@example.test") == 51, "\(daemon.log)")
    }
}

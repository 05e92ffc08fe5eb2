import Foundation
import Glibc
import Testing

/// The real `milter-fixture` binary, driven over real sockets by Debian's `miltertest`
/// running the scripts in `lua/` (kept as files so they serve later as an independent client).
@Suite(.enabled(if: Fixture.miltertestInstalled, "needs Debian's miltertest"))
struct FixtureScenarioTests {
    /// Every scenario script, each against its own fixture on a unix socket.
    @Test(arguments: ["header", "reject", "tempfail", "quarantine", "trim", "sanitise", "client"])
    func scenarioPassesOverUnixSocket(script: String) throws {
        let folder = try Fixture.temporaryFolder()
        defer { Fixture.remove(folder) }
        let fixture = try Fixture.start(socket: "unix:\(folder)/milter.sock", in: folder)
        defer { fixture.killNow() }
        let result = try Fixture.runScript(script, socket: "local:\(folder)/milter.sock", in: folder)
        #expect(result.passed, "\(script).lua: \(result.output)\nfixture: \(fixture.output)")
    }

    /// The Postfix spelling on a loopback TCP port, driven in libmilter spelling.
    @Test(arguments: ["header", "reject", "trim"])
    func scenarioPassesOverLoopbackTCP(script: String) throws {
        let folder = try Fixture.temporaryFolder()
        defer { Fixture.remove(folder) }
        let port = try Fixture.freePort()
        let fixture = try Fixture.start(socket: "inet:127.0.0.1:\(port)", in: folder)
        defer { fixture.killNow() }
        let result = try Fixture.runScript(script, socket: "inet:\(port)@127.0.0.1", in: folder)
        #expect(result.passed, "\(script).lua: \(result.output)\nfixture: \(fixture.output)")
        #expect(!fixture.output.contains("TCP_NODELAY not set"), "fixture: \(fixture.output)")
    }

    @Test func sigtermStopsTheFixtureWithStatusZero() throws {
        let folder = try Fixture.temporaryFolder()
        defer { Fixture.remove(folder) }
        let fixture = try Fixture.start(socket: "unix:\(folder)/milter.sock", in: folder)
        // why: a served message proves the fixture is up before it is asked to stop.
        let served = try Fixture.runScript("reject", socket: "local:\(folder)/milter.sock", in: folder)
        try #require(served.passed, "\(served.output)\nfixture: \(fixture.output)")

        fixture.send(SIGTERM)
        let (ending, timedOut) = fixture.waitForExit(within: 20)
        #expect(!timedOut, "fixture ignored SIGTERM for 20 s: \(fixture.output)")
        #expect(ending == .exited(0), "fixture \(ending): \(fixture.output)")
        #expect(fixture.output.contains("milter-fixture: stopped"))
    }

    @Test func unixSocketGetsMode0660() throws {
        let folder = try Fixture.temporaryFolder()
        defer { Fixture.remove(folder) }
        let fixture = try Fixture.start(socket: "local:\(folder)/milter.sock", in: folder)
        defer { fixture.killNow() }
        let served = try Fixture.runScript("tempfail", socket: "local:\(folder)/milter.sock", in: folder)
        try #require(served.passed, "\(served.output)\nfixture: \(fixture.output)")
        var info = stat()
        try #require(stat("\(folder)/milter.sock", &info) == 0)
        #expect(info.st_mode & 0o777 == 0o660)
    }

    @Test(.enabled(if: geteuid() == 0, "only root may give a socket to another group"))
    func unixSocketGetsTheConfiguredModeAndGroup() throws {
        let group = try #require(getgrnam("nogroup"), "Debian's nogroup group is missing").pointee.gr_gid
        let folder = try Fixture.temporaryFolder()
        defer { Fixture.remove(folder) }
        let fixture = try Fixture.start(socket: "unix:\(folder)/milter.sock", in: folder, extra: ["--group", "nogroup", "--mode", "600"])
        defer { fixture.killNow() }
        let served = try Fixture.runScript("tempfail", socket: "local:\(folder)/milter.sock", in: folder)
        try #require(served.passed, "\(served.output)\nfixture: \(fixture.output)")
        var info = stat()
        try #require(stat("\(folder)/milter.sock", &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(info.st_gid == group)
    }

    @Test func aMissingSocketGroupIsReportedNotFatal() throws {
        let folder = try Fixture.temporaryFolder()
        defer { Fixture.remove(folder) }
        let fixture = try Fixture.start(socket: "unix:\(folder)/milter.sock", in: folder, extra: ["--group", "no-such-group-bw"])
        defer { fixture.killNow() }
        let served = try Fixture.runScript("tempfail", socket: "local:\(folder)/milter.sock", in: folder)
        #expect(served.passed, "\(served.output)\nfixture: \(fixture.output)")
        #expect(fixture.output.contains("group \"no-such-group-bw\" does not exist"), "\(fixture.output)")
    }

    @Test func staleUnixSocketFileIsReplaced() throws {
        let folder = try Fixture.temporaryFolder()
        defer { Fixture.remove(folder) }
        let path = "\(folder)/milter.sock"
        // A socket file nobody listens on, as a crashed run leaves behind.
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(stale, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(stale)
        try #require(bound == 0)

        let fixture = try Fixture.start(socket: "unix:\(path)", in: folder)
        defer { fixture.killNow() }
        let served = try Fixture.runScript("reject", socket: "local:\(path)", in: folder)
        #expect(served.passed, "\(served.output)\nfixture: \(fixture.output)")
    }

    @Test func busyPortFailsAtStartWithAReadableError() throws {
        let folder = try Fixture.temporaryFolder()
        defer { Fixture.remove(folder) }
        let port = try Fixture.freePort()
        let first = try Fixture.start(socket: "inet:127.0.0.1:\(port)", in: folder, name: "first")
        defer { first.killNow() }
        let served = try Fixture.runScript("reject", socket: "inet:\(port)@127.0.0.1", in: folder)
        try #require(served.passed, "\(served.output)\nfixture: \(first.output)")

        let second = try Fixture.start(socket: "inet:\(port)@127.0.0.1", in: folder, name: "second")
        let (ending, timedOut) = second.waitForExit(within: 20)
        #expect(!timedOut)
        #expect(ending == .exited(1))
        #expect(second.output.contains("Address already in use"), "\(second.output)")
    }

    @Test func liveUnixSocketIsNotStolen() throws {
        let folder = try Fixture.temporaryFolder()
        defer { Fixture.remove(folder) }
        let first = try Fixture.start(socket: "unix:\(folder)/milter.sock", in: folder, name: "first")
        defer { first.killNow() }
        let served = try Fixture.runScript("reject", socket: "local:\(folder)/milter.sock", in: folder)
        try #require(served.passed, "\(served.output)\nfixture: \(first.output)")

        let second = try Fixture.start(socket: "unix:\(folder)/milter.sock", in: folder, name: "second")
        let (ending, timedOut) = second.waitForExit(within: 20)
        #expect(!timedOut)
        #expect(ending == .exited(1))
        #expect(second.output.contains("another process is listening"), "\(second.output)")
        // The first fixture still serves.
        let again = try Fixture.runScript("tempfail", socket: "local:\(folder)/milter.sock", in: folder)
        #expect(again.passed, "\(again.output)")
    }

    @Test func badListenAddressNamesTheProblem() throws {
        let folder = try Fixture.temporaryFolder()
        defer { Fixture.remove(folder) }
        let fixture = try Fixture.start(socket: "inet:127.0.0.1", in: folder)
        let (ending, timedOut) = fixture.waitForExit(within: 20)
        #expect(!timedOut)
        #expect(ending == .exited(1))
        #expect(fixture.output.contains("listen address \"inet:127.0.0.1\""), "\(fixture.output)")
    }
}

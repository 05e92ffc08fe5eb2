import Foundation
import Testing
@testable import Replay
import TestSupport

/// The `breakwater-replay` executable itself, run as a person would run it.
@Suite("breakwater-replay command")
struct CommandLineTests {
    /// The built tool sits beside the test binary.
    static let tool = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        .appendingPathComponent("breakwater-replay").path

    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        guard FileManager.default.isExecutableFile(atPath: Self.tool) else {
            throw FixtureError("\(Self.tool) is not built; run swift build first")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.tool)
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func offlineNHSPassesAndEndsWithTheSummaryLine() throws {
        let (status, output) = try run(["offline", RepositoryPaths.scenario("nhs-2016.session"),
                                        "--sizes", RepositoryPaths.scenario("nhs-2016.sizes")])
        #expect(status == 0)
        #expect(output.split(separator: "\n").last == "114 passed, 0 failed")
    }

    @Test func offlineWithoutTheGateFailsWithStatusOne() throws {
        let (status, output) = try run(["offline", RepositoryPaths.scenario("nhs-2016.session"),
                                        "--sizes", RepositoryPaths.scenario("nhs-2016.sizes"), "--hard-gate", "off"])
        #expect(status == 1)
        #expect(output.split(separator: "\n").last == "34 passed, 80 failed")
    }

    @Test func liveAgainstTheNullFilterReportsAndExits() throws {
        let filter = try NullFilter(answersOnlyEndOfMessage: true)
        let dir = String(cString: mkdtemp(strdup("/tmp/bw-replay-cli-XXXXXX")))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = dir + "/good.session"
        try LiveReplayTests.checks.write(toFile: good, atomically: true, encoding: .utf8)
        let ok = try run(["live", good, "--connect", filter.endpoint, "--concurrency", "2", "--repeat", "3"])
        #expect(ok.status == 0)
        #expect(ok.output.split(separator: "\n").last == "27 passed, 0 failed")
        #expect(ok.output.contains("messages/s"))

        let bad = dir + "/bad.session"
        try "mail <a@b>\nrcpt <c@d>\neom\nexpect tempfail\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let failed = try run(["live", bad, "--connect", filter.endpoint])
        #expect(failed.status == 1)
        #expect(failed.output.contains("\(bad):4: expected tempfail, got accept"))
        #expect(failed.output.split(separator: "\n").last == "0 passed, 1 failed")
    }

    @Test func usageAndParseErrorsExitTwo() throws {
        #expect(try run(["live", "x.session"]).status == 2)  // no --connect
        #expect(try run(["offline", "/nonexistent.session"]).status == 2)
        #expect(try run(["generate", "storm", "--direct-mix", "2"]).status == 2)
    }

    @Test func generateWritesAScenarioThatOfflineAccepts() throws {
        let dir = String(cString: mkdtemp(strdup("/tmp/bw-replay-gen-XXXXXX")))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/s.session"
        let gen = try run(["generate", "storm", "--audience", "13000", "--list", "dl@ms.example", "--repliers", "12",
                           "--seed", "9", "--expect-policy", "no-gate", "-o", out])
        #expect(gen.status == 0)
        let (status, output) = try run(["offline", out, "--sizes", dir + "/s.sizes", "--hard-gate", "off"])
        #expect(status == 0)
        #expect(output.contains("tripped thread"))
    }
}

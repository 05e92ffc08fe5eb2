import Foundation
import TestSupport
import Testing

/// `breakwater replay` is the same command set as `breakwater-replay`, one level down.
struct ReplayCommandTests {
    private func run(_ tool: String, _ arguments: [String], in folder: String) throws -> (ending: ChildProcess.Ending, output: String) {
        guard let binary = TestEnvironment.executable(named: tool) else {
            throw ChildProcess.SpawnError(description: "\(tool) is not built")
        }
        let run = try ChildProcess.run(binary, arguments, logPath: "\(folder)/\(tool)-\(arguments.joined().count).log")
        return (run.ending, run.output)
    }

    @Test func bothCommandsGenerateTheSameScenario() throws {
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-replay-cli")
        defer { TestEnvironment.remove(folder) }
        let options = ["--audience", "3000", "--repliers", "12", "--seed", "4", "--start", "2026-01-05T09:00:00Z"]
        let one = try run("breakwater", ["replay", "generate", "storm"] + options + ["-o", "\(folder)/a.session"], in: folder)
        let two = try run("breakwater-replay", ["generate", "storm"] + options + ["-o", "\(folder)/b.session"], in: folder)
        #expect(one.ending == .exited(0) && two.ending == .exited(0), "\(one.output)\n\(two.output)")
        let a = try String(contentsOfFile: "\(folder)/a.session", encoding: .utf8)
        let b = try String(contentsOfFile: "\(folder)/b.session", encoding: .utf8)
        #expect(a == b && a.contains("session reply-all-"))
        #expect(FileManager.default.fileExists(atPath: "\(folder)/a.sizes"))
    }

    @Test func aUsageErrorUnderReplayExitsTwoAsTheReplayToolDoes() throws {
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-replay-cli")
        defer { TestEnvironment.remove(folder) }
        let missingSocket = try run("breakwater", ["replay", "live", "x.session"], in: folder)
        #expect(missingSocket.ending == .exited(2), "\(missingSocket.output)")
        #expect(missingSocket.output.contains("--connect"))
        let standalone = try run("breakwater-replay", ["live", "x.session"], in: folder)
        #expect(standalone.ending == .exited(2), "\(standalone.output)")
    }
}

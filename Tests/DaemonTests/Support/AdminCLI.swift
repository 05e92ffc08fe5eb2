import Foundation
import Glibc
import Synchronization
import TestSupport

/// The real `breakwater` admin verbs, run as a subprocess against a daemon's control socket.
struct AdminCLI {
    let folder: String
    let socket: String
    private static let counter = Mutex(0)

    /// Runs `breakwater ARGS --socket SOCKET` and returns its exit status and output.
    func run(_ arguments: [String], socket override: String? = nil) throws -> (status: Int32, output: String) {
        guard let binary = TestDaemon.binary else {
            throw ChildProcess.SpawnError(description: "breakwater not found next to the test binary; build it first")
        }
        let n = Self.counter.withLock { n -> Int in n += 1; return n }
        let run = try ChildProcess.run(binary, arguments + ["--socket", override ?? socket], logPath: "\(folder)/cli-\(n).log")
        guard !run.timedOut, case let .exited(code) = run.ending else {
            throw ChildProcess.SpawnError(description: "breakwater \(arguments) \(run.ending)")
        }
        return (code, run.output)
    }

    /// Runs a verb with `--json` and decodes its output.
    func json<T: Decodable>(_ type: T.Type, _ arguments: [String]) throws -> T {
        let (status, output) = try run(arguments + ["--json"])
        guard status == 0 else { throw ChildProcess.SpawnError(description: "breakwater \(arguments) exited \(status): \(output)") }
        return try JSONDecoder().decode(type, from: Data(output.utf8))
    }
}

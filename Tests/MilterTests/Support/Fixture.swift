import Foundation
import Glibc
import TestSupport

/// Paths and running copies of the `milter-fixture` executable and Debian's `miltertest`.
enum Fixture {
    /// `milter-fixture` from the same build products folder as this test binary.
    static var executable: String? { TestEnvironment.executable(named: "milter-fixture") }

    /// The Lua scripts kept beside this file's folder, for miltertest.
    static let luaFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("lua").path

    static let miltertest = Miltertest.path
    static var miltertestInstalled: Bool { Miltertest.isInstalled }

    /// A fresh temporary folder for one test's socket and logs.
    static func temporaryFolder() throws -> String { try TestEnvironment.temporaryFolder() }

    /// Removes a folder made by ``temporaryFolder()`` (the logs are already in any failure message).
    static func remove(_ folder: String) { TestEnvironment.remove(folder) }

    /// A loopback TCP port nobody was using a moment ago.
    static func freePort() throws -> UInt16 { try TestEnvironment.freePort() }

    /// Starts the fixture listening on `socket` (any spelling it accepts).
    static func start(
        socket: String, in folder: String, name: String = "fixture", extra: [String] = []
    ) throws -> ChildProcess {
        guard let executable else {
            throw ChildProcess.SpawnError(description: "milter-fixture not found next to the test binary; build it first")
        }
        return try ChildProcess(executable, ["--socket", socket] + extra, logPath: "\(folder)/\(name).log")
    }

    /// Runs one Lua script against `socket` (miltertest spelling) and waits for it.
    static func runScript(_ script: String, socket: String, in folder: String) throws -> (passed: Bool, output: String) {
        try Miltertest.run(script, luaFolder: luaFolder, socket: socket, in: folder)
    }
}

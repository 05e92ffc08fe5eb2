import Foundation
import Glibc

/// Paths and running copies of the `milter-fixture` executable and Debian's `miltertest`.
enum Fixture {
    /// `milter-fixture` from the same build products folder as this test binary, so it works
    /// with any `--scratch-path` (and the default `.build`).
    static var executable: String? {
        var candidates: [String] = []
        if let testBinary = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var folder = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
            // why: on some layouts the test binary sits inside a .xctest folder.
            for _ in 0..<3 {
                candidates.append(folder.appendingPathComponent("milter-fixture").path)
                folder = folder.deletingLastPathComponent()
            }
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The Lua scripts kept beside this file's folder, for miltertest.
    static let luaFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("lua").path

    static let miltertest = "/usr/bin/miltertest"
    static var miltertestInstalled: Bool { FileManager.default.isExecutableFile(atPath: miltertest) }

    /// A fresh temporary folder for one test's socket and logs.
    static func temporaryFolder() throws -> String {
        var template = Array("/tmp/milter-tests-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw ChildProcess.SpawnError(description: "mkdtemp failed")
        }
        return String(cString: made)
    }

    /// Removes a folder made by ``temporaryFolder()`` (the logs are already in any failure message).
    static func remove(_ folder: String) {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// A loopback TCP port nobody was using a moment ago.
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw ChildProcess.SpawnError(description: "no free port") }
        return UInt16(bigEndian: address.sin_port)
    }

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
        let client = try ChildProcess(
            miltertest,
            ["-D", "socket=\(socket)", "-D", "luadir=\(luaFolder)", "-s", "\(luaFolder)/\(script).lua"],
            logPath: "\(folder)/\(script).miltertest.log")
        let (ending, _) = client.waitForExit(within: 60)
        let output = client.output
        return (ending == .exited(0) && output.contains("ok \(script)"), output)
    }
}

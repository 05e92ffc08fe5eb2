import Foundation
import Glibc

/// The C null filter from Tests/Fixtures/nullfilter, built once per run with the system C
/// compiler against libmilter and started per test on a unix socket of its own.
final class NullFilterProcess {
    /// The compiled filter, or why it could not be built.
    static let binary: Result<String, FixtureError> = compile()

    private let process = Process()
    private let directory: String
    /// `unix:/tmp/.../null.sock`, as clients are given it.
    let endpoint: String

    /// Starts the filter; `answersOnlyEndOfMessage` picks its `-n` negotiation. Returns once
    /// it accepts connections (bounded retries).
    init(answersOnlyEndOfMessage: Bool) throws {
        let binary = try Self.binary.get()
        directory = String(cString: mkdtemp(strdup("/tmp/bw-replay-null-XXXXXX")))
        let socketPath = directory + "/null.sock"
        endpoint = "unix:" + socketPath
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = (answersOnlyEndOfMessage ? ["-n"] : []) + [endpoint]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<500 where process.isRunning {
            if Self.accepts(socketPath) { return }
            usleep(10_000)  // still starting: bounded retry, not a synchronisation sleep
        }
        throw FixtureError("null filter did not start listening on \(socketPath)")
    }

    deinit {
        // why SIGKILL: smfi_main takes seconds to notice SIGTERM and the filter holds no state.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        unlink(directory + "/null.sock")
        rmdir(directory)
    }

    private static func accepts(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: Array(path.utf8)) }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
    }

    private static func compile() -> Result<String, FixtureError> {
        guard let cc = ["/usr/bin/cc", "/usr/bin/gcc"].first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { return .failure(FixtureError("no C compiler")) }
        let source = RepositoryPaths.root + "/Tests/Fixtures/nullfilter/nullfilter.c"
        let output = String(cString: mkdtemp(strdup("/tmp/bw-replay-nullbin-XXXXXX"))) + "/nullfilter"
        let compiler = Process()
        compiler.executableURL = URL(fileURLWithPath: cc)
        compiler.arguments = ["-O1", "-o", output, source, "-lmilter"]
        do { try compiler.run() } catch { return .failure(FixtureError("\(cc): \(error)")) }
        compiler.waitUntilExit()
        guard compiler.terminationStatus == 0 else {
            return .failure(FixtureError("\(cc) could not build \(source) (status \(compiler.terminationStatus))"))
        }
        return .success(output)
    }
}

/// Why a test fixture is missing.
struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Paths inside the repository, found from this file's location.
enum RepositoryPaths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static func scenario(_ name: String) -> String { root + "/Scenarios/" + name }
}

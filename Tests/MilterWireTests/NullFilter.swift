import Foundation
import Glibc
@testable import MilterWire

/// The C fixture `Tests/Fixtures/nullfilter/nullfilter.c`, compiled once per test run against
/// the real libmilter and started per test on its own unix socket.
final class NullFilter {
    /// Whether a C compiler is there to build the fixture at all.
    static let compilerPath: String? = ["/usr/bin/cc", "/usr/local/bin/cc", "/usr/bin/gcc"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The compiled fixture, or why it could not be built.
    static let binary: Result<String, NullFilterError> = build()

    let process = Process()
    let directory: String
    let socketPath: String
    /// How clients reach it (Postfix spelling).
    let endpoint: String

    /// Starts the fixture; `noReply` picks its "answer only end of message" negotiation;
    /// with a `tcpPort` it listens on 127.0.0.1 instead of a unix socket.
    init(noReply: Bool, tcpPort: UInt16? = nil) throws {
        let binary = try Self.binary.get()
        directory = String(cString: mkdtemp(strdup("/tmp/bw-null-XXXXXX")))
        socketPath = directory + "/null.sock"
        // why two spellings: libmilter takes inet:port@host, the client is given Postfix's.
        let listenSpec = tcpPort.map { "inet:\($0)@127.0.0.1" } ?? "unix:" + socketPath
        endpoint = tcpPort.map { "inet:127.0.0.1:\($0)" } ?? "unix:" + socketPath
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = (noReply ? ["-n"] : []) + [listenSpec]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        // why SIGKILL: smfi_main needs up to ~5 s to notice SIGTERM; the fixture holds no state.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        unlink(socketPath)
        rmdir(directory)
    }

    /// Connects a client once the filter listens (bounded retries while it starts).
    func client(timeout: Duration = .seconds(3)) throws -> MilterClient {
        for _ in 0..<250 {
            do {
                return try MilterClient(connectingTo: endpoint, configuration: .init(timeout: timeout))
            } catch {
                guard case .connectFailed = error, process.isRunning else { throw error }
                usleep(20_000)  // not yet listening: bounded retry
            }
        }
        return try MilterClient(connectingTo: endpoint, configuration: .init(timeout: timeout))
    }

    /// A TCP port nobody listens on right now (the kernel's pick for port 0).
    static func freePort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                _ = bind(fd, $0, length)
                _ = getsockname(fd, $0, &length)
            }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    private static func build() -> Result<String, NullFilterError> {
        guard let cc = compilerPath else { return .failure(NullFilterError("no C compiler")) }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/nullfilter/nullfilter.c").path
        let output = String(cString: mkdtemp(strdup("/tmp/bw-nullbin-XXXXXX"))) + "/nullfilter"
        let compile = Process()
        compile.executableURL = URL(fileURLWithPath: cc)
        compile.arguments = ["-Wall", "-Werror", "-O1", "-o", output, source, "-lmilter"]
        do { try compile.run() } catch { return .failure(NullFilterError("\(cc): \(error)")) }
        compile.waitUntilExit()
        guard compile.terminationStatus == 0 else {
            return .failure(NullFilterError("\(cc) failed to build \(source) (status \(compile.terminationStatus))"))
        }
        return .success(output)
    }
}

/// Why the fixture is unavailable.
struct NullFilterError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

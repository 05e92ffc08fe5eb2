import Foundation
import Glibc
public import MilterWire

/// The C fixture `Tests/Fixtures/nullfilter/nullfilter.c`: a filter on the real libmilter that
/// lets everything through. Compiled once per test run with the system C compiler, started per
/// test on a unix socket of its own (or a loopback TCP port), killed when released.
public final class NullFilter {
    /// The C compiler that builds the fixture, if there is one.
    public static let compilerPath: String? = ["/usr/bin/cc", "/usr/local/bin/cc", "/usr/bin/gcc"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The compiled fixture, or why it could not be built.
    public static let binary: Result<String, ChildProcess.SpawnError> = build()

    /// The folder of its socket and log.
    public let folder: String
    /// How clients reach it (Postfix spelling: `unix:PATH` or `inet:127.0.0.1:PORT`).
    public let endpoint: String
    private let process: ChildProcess

    /// Starts the filter and returns once it accepts connections. `answersOnlyEndOfMessage`
    /// picks its `-n` negotiation (no replies to the steps before end of message).
    public init(answersOnlyEndOfMessage: Bool, tcpPort: UInt16? = nil) throws {
        let binary = try Self.binary.get()
        folder = try TestEnvironment.temporaryFolder(prefix: "bw-null")
        let socketPath = "\(folder)/null.sock"
        // why two spellings: libmilter takes inet:port@host, the client is given Postfix's.
        let listenSpec = tcpPort.map { "inet:\($0)@127.0.0.1" } ?? "unix:" + socketPath
        endpoint = tcpPort.map { "inet:127.0.0.1:\($0)" } ?? "unix:" + socketPath
        let started = try ChildProcess(binary, (answersOnlyEndOfMessage ? ["-n"] : []) + [listenSpec],
                                       logPath: "\(folder)/nullfilter.log")
        process = started
        let up = TestEnvironment.waitUntil(seconds: 10) {
            !started.isRunning || (tcpPort.map { TestEnvironment.isListening(loopbackPort: $0) }
                                   ?? TestEnvironment.isListening(unixPath: socketPath))
        }
        guard up, started.isRunning else {
            started.killNow()
            TestEnvironment.remove(folder)
            throw ChildProcess.SpawnError(description: "null filter did not start listening on \(endpoint):\n\(started.output)")
        }
    }

    deinit {
        // why SIGKILL: smfi_main needs up to ~5 s to notice SIGTERM; the fixture holds no state.
        process.killNow()
        TestEnvironment.remove(folder)
    }

    /// A MilterWire client on the filter, before any step.
    public func client(timeout: Duration = .seconds(3)) throws -> MilterClient {
        try MilterClient(connectingTo: endpoint, configuration: .init(timeout: timeout))
    }

    private static func build() -> Result<String, ChildProcess.SpawnError> {
        guard let cc = compilerPath else { return .failure(.init(description: "no C compiler")) }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/nullfilter/nullfilter.c").path
        do {
            let folder = try TestEnvironment.temporaryFolder(prefix: "bw-nullbin")
            let (ending, _, output) = try ChildProcess.run(cc, ["-Wall", "-Werror", "-O1", "-o", "\(folder)/nullfilter", source, "-lmilter"],
                                                           logPath: "\(folder)/cc.log", within: 120)
            guard ending == .exited(0) else {
                return .failure(.init(description: "\(cc) could not build \(source) (\(ending)):\n\(output)"))
            }
            return .success("\(folder)/nullfilter")
        } catch let error as ChildProcess.SpawnError {
            return .failure(error)
        } catch {
            return .failure(.init(description: "\(cc): \(error)"))
        }
    }
}

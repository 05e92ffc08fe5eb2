import Foundation
import Glibc

/// Where test programs are, scratch folders, free ports and bounded waits: what every suite that
/// starts a real binary needs.
public enum TestEnvironment {
    /// The executable `name` from the same build products folder as the running test binary,
    /// so it works with any `--scratch-path` (and the default `.build`).
    public static func executable(named name: String) -> String? {
        var candidates: [String] = []
        if let testBinary = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var folder = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
            // why: on some layouts the test binary sits inside a .xctest folder.
            for _ in 0..<3 {
                candidates.append(folder.appendingPathComponent(name).path)
                folder = folder.deletingLastPathComponent()
            }
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A fresh temporary folder for one test's sockets, files and logs.
    public static func temporaryFolder(prefix: String = "milter-tests") throws -> String {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw ChildProcess.SpawnError(description: "mkdtemp failed")
        }
        return String(cString: made)
    }

    /// Removes a folder made by ``temporaryFolder(prefix:)``.
    public static func remove(_ folder: String) {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// A loopback TCP port nobody was using a moment ago.
    public static func freePort() throws -> UInt16 {
        let (fd, port) = try boundLoopbackSocket()
        close(fd)
        return port
    }

    /// A TCP socket bound to a free loopback port, and the port; the caller listens or closes.
    public static func boundLoopbackSocket() throws -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ChildProcess.SpawnError(description: "no socket: errno \(errno)") }
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
        guard bound else {
            close(fd)
            throw ChildProcess.SpawnError(description: "no free port")
        }
        return (fd, UInt16(bigEndian: address.sin_port))
    }

    /// Polls `condition` every 20 ms until it holds or `seconds` pass; returns whether it held.
    public static func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    /// True when a process accepts connections on the unix socket `path`.
    public static func isListening(unixPath path: String) -> Bool {
        guard let fd = try? LocalSocket.connect(unixPath: path) else { return false }
        close(fd)
        return true
    }

    /// True when a process accepts connections on 127.0.0.1:`port`.
    public static func isListening(loopbackPort port: UInt16) -> Bool {
        guard let fd = try? LocalSocket.connect(loopbackPort: port) else { return false }
        close(fd)
        return true
    }
}

/// Debian's `miltertest`, an MTA side written by others, running the Lua scripts a suite keeps.
public enum Miltertest {
    /// The program's path.
    public static let path = "/usr/bin/miltertest"
    /// True when the package is installed.
    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: path) }

    /// Runs `luaFolder/script.lua` against `socket` (libmilter spelling) with `-D` variables
    /// (`socket` and `luadir` are always set) and waits for it. It passed when it exited 0 and
    /// printed `ok <script>`.
    public static func run(_ script: String, luaFolder: String, socket: String, in folder: String,
                           defines: [String: String] = [:], logName: String? = nil,
                           within seconds: Double = 60) throws -> (passed: Bool, output: String) {
        var arguments = ["-D", "socket=\(socket)", "-D", "luadir=\(luaFolder)"]
        for (key, value) in defines.sorted(by: { $0.key < $1.key }) { arguments += ["-D", "\(key)=\(value)"] }
        arguments += ["-s", "\(luaFolder)/\(script).lua"]
        let (ending, _, output) = try ChildProcess.run(path, arguments, logPath: "\(folder)/\(logName ?? script).miltertest.log",
                                                       within: seconds)
        return (ending == .exited(0) && output.contains("ok \(script)"), output)
    }
}

import Foundation
import Glibc
import TestSupport

/// Postfix's command-line programs, run to completion from tests with their output captured.
enum Tool {
    /// True when Postfix's programs are installed and we may run them as Postfix's admin.
    static var postfixUsable: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/sbin/postconf")
            && FileManager.default.isExecutableFile(atPath: "/usr/sbin/postfix") && getuid() == 0
    }

    /// Runs `program` (a path, or a name under /usr/sbin) with `arguments`, output kept in a
    /// log under `folder`; throws with that output when the exit status is not 0.
    @discardableResult
    static func run(_ program: String, _ arguments: [String], in folder: String, within seconds: Double = 60) throws -> String {
        let path = program.hasPrefix("/") ? program : "/usr/sbin/\(program)"
        let log = "\(folder)/tool-\(UUID().uuidString.prefix(8)).log"
        let (ending, timedOut, output) = try ChildProcess.run(path, arguments, logPath: log, within: seconds)
        try? FileManager.default.removeItem(atPath: log)
        guard ending == .exited(0), !timedOut else {
            throw ChildProcess.SpawnError(description: "\(program) \(arguments.joined(separator: " ")): \(ending)\n\(output)")
        }
        return output
    }

    /// `postconf -c dir -e` with each `name = value` setting.
    static func postconf(_ dir: String, _ settings: [String], in folder: String) throws {
        try run("postconf", ["-c", dir, "-e"] + settings, in: folder)
    }

    /// Writes `text` to `path` (creating or replacing it).
    static func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

package import ArgumentParser
import Foundation

/// The replay commands, for any executable that offers them: `breakwater-replay` as its
/// root's subcommands, `breakwater replay` one level down. One set of types, so both spell
/// every option the same way.
package enum ReplayCommands {
    /// `live`, `offline` and `generate`.
    package static let subcommands: [any ParsableCommand.Type] = [Live.self, Offline.self, Generate.self]

    /// What both executables say about exit statuses.
    package static let exitStatusText =
        "Exit status: 0 when every expectation held, 1 when one failed, 2 on usage, parse or connection errors."

    /// Ends the process for an error thrown while parsing or running a replay command under
    /// `root`: help and version exit 0, an `ExitCode` keeps its status, anything else (usage
    /// included) is printed and exits 2. why: ArgumentParser exits 64 on usage; these promise 2.
    package static func exit(for error: any Error, under root: any ParsableCommand.Type) -> Never {
        if root.exitCode(for: error) == .success {
            print(root.fullMessage(for: error))
            Foundation.exit(0)
        }
        if let status = error as? ExitCode { Foundation.exit(status.rawValue) }
        FileHandle.standardError.write(Data((root.fullMessage(for: error) + "\n").utf8))
        Foundation.exit(2)
    }
}

/// Writes a report and ends with its status.
func finish(text: String, status: Int32) throws {
    FileHandle.standardOutput.write(Data(text.utf8))
    if status != 0 { throw ExitCode(status) }
}

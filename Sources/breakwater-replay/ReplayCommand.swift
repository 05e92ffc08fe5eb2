import ArgumentParser
import Foundation
import Replay

/// `breakwater-replay`: plays milter sessions against a filter, or through the storm engine
/// offline, and writes scenarios.
@main
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "breakwater-replay",
        abstract: "Replay recorded or scripted milter sessions and check what comes back.",
        discussion: "Exit status: 0 when every expectation held, 1 when one failed, 2 on usage, parse or connection errors.",
        subcommands: [Live.self, Offline.self, Generate.self])

    /// why a main of our own: ArgumentParser exits 64 on usage errors; this tool promises 2.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            if let status = error as? ExitCode {
                Foundation.exit(status.rawValue)
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }
}

/// Writes a report and ends with its status.
func finish(text: String, status: Int32) throws {
    FileHandle.standardOutput.write(Data(text.utf8))
    if status != 0 { throw ExitCode(status) }
}

import ArgumentParser
import ReplayCLI

/// `breakwater-replay`: plays milter sessions against a filter, or through the storm engine
/// offline, and writes scenarios.
@main
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "breakwater-replay",
        abstract: "Replay recorded or scripted milter sessions and check what comes back.",
        discussion: ReplayCommands.exitStatusText,
        subcommands: ReplayCommands.subcommands)

    /// why a main of our own: ArgumentParser exits 64 on usage errors; this tool promises 2.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            ReplayCommands.exit(for: error, under: self)
        }
    }
}

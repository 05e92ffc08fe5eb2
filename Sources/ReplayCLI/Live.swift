package import ArgumentParser
import Replay

/// `replay live`: sessions against a running filter.
package struct Live: ParsableCommand {
    /// Name, help and discussion.
    package static let configuration = CommandConfiguration(
        abstract: "Play session files against a running milter and check the expectations.",
        discussion: "The last line of the report is exactly \"N passed, N failed\".")

    @Argument(help: "Session files.")
    var files: [String]

    @Option(help: "The filter's socket: unix:/path, inet:host:port or inet:port@host.")
    var connect: String

    @Option(help: "Connections (threads) at once; each session gets a connection of its own.")
    var concurrency = 1

    @Option(name: .customLong("repeat"), help: "Play every file this many times.")
    var repeats = 1

    @Option(help: "Honour time offsets, this many times faster than real time.")
    var speed: Double?

    @Flag(help: "Honour time offsets in real time (--speed 1).")
    var realtime = false

    @Flag(help: "Ignore time offsets: as fast as possible (the default).")
    var noWait = false

    @Option(help: "Seconds to wait for any one reply.")
    var timeout = 10.0

    @Flag(help: "Write the report as JSON.")
    var json = false

    /// An empty command, filled in by ArgumentParser.
    package init() {}

    /// Refuses contradictory pacing flags and silly timeouts.
    package func validate() throws {
        if [speed != nil, realtime, noWait].filter({ $0 }).count > 1 {
            throw ValidationError("use only one of --speed, --realtime and --no-wait")
        }
        guard timeout > 0, timeout <= 86_400 else { throw ValidationError("--timeout must be between 0 and 86400 seconds") }
    }

    /// Plays the files and writes the report; exit status 1 when an expectation failed.
    package func run() throws {
        let pacing: LiveReplay.Pacing = realtime ? .scaled(speed: 1) : speed.map { .scaled(speed: $0) } ?? .asFastAsPossible
        let options = LiveReplay.Options(files: files, endpoint: connect, concurrency: concurrency, repeats: repeats,
                                         pacing: pacing, timeout: .milliseconds(Int64(timeout * 1000)))
        let report = LiveReplay.run(options)
        try finish(text: json ? report.json : report.text, status: report.exitStatus)
    }
}

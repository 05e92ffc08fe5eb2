package import ArgumentParser
import BreakwaterConfig
import Replay
import StormCore
import Foundation

/// `replay offline`: sessions through the storm engine, in virtual time.
package struct Offline: ParsableCommand {
    /// Name, help and discussion.
    package static let configuration = CommandConfiguration(
        abstract: "Run session files through the storm engine in process, with virtual time from the files.",
        discussion: "The last line of the report is exactly \"N passed, N failed\".")

    @Argument(help: "Session files.")
    var files: [String]

    @Option(help: "An \"address size\" file (may be repeated).")
    var sizes: [String] = []

    @Option(help: "A Postfix virtual(5) source file (may be repeated).")
    var virtual: [String] = []

    @Option(help: "An aliases(5) file (may be repeated).")
    var aliases: [String] = []

    @Option(help: "Reply-all threshold (audience).")
    var threshold: Int?

    @Option(help: "Reply-alls in the window that trip a storm.")
    var tripReplies: Int?

    @Option(help: "Storm window: seconds or 60m, 1h.")
    var window: String?

    @Option(help: "Delivery budget per window, or off.")
    var budget: String?

    @Option(help: "Hard gate (audience), or off.")
    var hardGate: String?

    @Option(help: "Block duration: seconds or 6h.")
    var block: String?

    @Flag(help: "Write the report as JSON.")
    var json = false

    @Option(help: ArgumentHelp("Judge with this breakwater.conf: its policy and audience tables, as `breakwater run` "
        + "reads them. The options above override or add to it.", valueName: "file"))
    var config: String?

    func settings() throws -> PolicySettings {
        var s = PolicySettings()
        s.threshold = threshold
        s.tripReplies = tripReplies
        s.window = try window.map { try duration($0, "--window") }
        s.block = try block.map { try duration($0, "--block") }
        s.budget = try budget.map { try numberOrOff($0, "--budget") }
        s.hardGate = try hardGate.map { try numberOrOff($0, "--hard-gate") }
        return s
    }

    private func duration(_ text: String, _ flag: String) throws -> Int64 {
        guard let d = TimeText.duration(text) else { throw ValidationError("\(flag) \"\(text)\" is not like 3600, 60m or 6h") }
        return d
    }

    private func numberOrOff(_ text: String, _ flag: String) throws -> Int? {
        if text == "off" { return nil }
        guard let n = Int(text) else { throw ValidationError("\(flag) must be a whole number or off") }
        return n
    }

    /// An empty command, filled in by ArgumentParser.
    package init() {}

    /// Refuses knobs that do not parse.
    package func validate() throws { _ = try settings() }

    /// Judges the files and writes the report; exit status 1 when an expectation failed.
    package func run() throws {
        let base = try baseConfiguration()
        let policy: StormPolicy
        switch try settings().applied(to: base?.policy ?? StormPolicy()) {
        case let .success(p): policy = p
        case let .failure(problems): throw ValidationError(problems.description)
        }
        var options = OfflineReplay.Options(files: files, policy: policy)
        if var config = base {
            // why: tables named here add to the configuration's, loaded by the daemon's own
            // loader (BreakwaterConfig's), so the audiences are exactly those `breakwater run` would see.
            config.listSizeMaps += sizes
            config.virtualAliasMaps += virtual
            config.aliasMaps += aliases
            let (directory, problems) = AudienceTables.load(config)
            options.preloaded = (directory, problems)
        } else {
            options.audienceSources = sizes.map { AudienceSource.sizes(path: $0) }
                + virtual.map { AudienceSource.virtualAliases(path: $0) } + aliases.map { AudienceSource.aliases(path: $0) }
        }
        let report = OfflineReplay.run(options)
        try finish(text: json ? report.json : report.text, status: report.exitStatus)
    }

    /// The daemon's configuration when `--config` names one (read exactly as `breakwater run`
    /// reads it); nil without `--config`.
    private func baseConfiguration() throws -> DaemonConfig? {
        guard let config else { return nil }
        // why .none: replay never listens, so `listen` is kept as written, not read by Milter.
        switch ConfigLoader.load(path: config, checks: .none) {
        case let .success(c): return c
        case let .failure(errors):
            FileHandle.standardError.write(Data((errors.problems.map(\.description).joined(separator: "\n") + "\n").utf8))
            throw ExitCode(2)
        }
    }
}

import Logging
public import StormCore

/// Loads the audience tables a configuration names. A bad line is a warning (the rest of the
/// table still loads); a table that cannot be read is a warning too: its lists count 1 each.
public enum AudienceTables {
    /// The directory, and each problem as `file:line: message`.
    public static func load(_ config: DaemonConfig) -> (directory: AudienceDirectory, problems: [String]) {
        // why: Postfix's own maps first, so Breakwater's tables add to what Postfix expands.
        let postfix = PostfixTables.discover(config.postfixTables)
        let sources = postfix.sources + config.audienceSources
        guard !sources.isEmpty else { return (.empty, postfix.problems) }
        let (directory, problems) = AudienceDirectory.load(sources, options: config.audienceOptions)
        return (directory, postfix.problems + problems.map(\.description))
    }

    /// Loads and logs the problems as warnings.
    static func load(_ config: DaemonConfig, logger: Logger) -> (directory: AudienceDirectory, problems: Int) {
        let (directory, problems) = load(config)
        for p in problems.prefix(100) { logger.warning("\(LogText.oneLine(p))") }
        if problems.count > 100 { logger.warning("... and \(problems.count - 100) more table problems") }
        return (directory, problems.count)
    }

    /// `3 tables: 12 lists, 840001 mailboxes` or `no tables`.
    public static func summary(_ config: DaemonConfig, _ directory: AudienceDirectory) -> String {
        let n = config.audienceSources.count
        let postfix = config.postfixTables.enabled ? "Postfix's maps (\(config.postfixTables.configDirectory)) and " : ""
        guard n > 0 || !postfix.isEmpty else { return "no audience tables (every address counts 1)" }
        return "\(postfix)\(n) table\(n == 1 ? "" : "s"): \(directory.listCount) lists, \(directory.mailboxCount) mailboxes"
    }
}

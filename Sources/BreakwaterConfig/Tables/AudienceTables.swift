package import StormCore

/// Loads the audience tables a configuration names. A bad line is a warning (the rest of the
/// table still loads); a table that cannot be read is a warning too: its lists count 1 each.
package enum AudienceTables {
    /// What loading the tables gave.
    package struct Loaded: Sendable {
        package var directory: AudienceDirectory
        /// Every problem as `file:line: message`.
        package var problems: [String]
        /// Table files named in the configuration that could not be read at all (missing, a
        /// directory, not a regular file, no permission): a reload keeps the tables in force
        /// rather than count their lists as 1 each.
        package var unreadable: [String]
    }

    package static func loaded(_ config: DaemonConfig) -> Loaded {
        // why: Postfix's own maps first, so Breakwater's tables add to what Postfix expands.
        let postfix = PostfixTables.discover(config.postfixTables)
        let sources = postfix.sources + config.audienceSources
        guard !sources.isEmpty else { return Loaded(directory: .empty, problems: postfix.problems, unreadable: []) }
        let (directory, problems) = load(sources, options: config.audienceOptions)
        let files = Set(sources.compactMap(\.filePath))
        let unreadable = problems.filter { $0.line == 0 && files.contains($0.file) }.map(\.file)
        return Loaded(directory: directory, problems: postfix.problems + problems.map(\.description), unreadable: unreadable)
    }

    /// The directory, and each problem as `file:line: message`.
    package static func load(_ config: DaemonConfig) -> (directory: AudienceDirectory, problems: [String]) {
        let tables = loaded(config)
        return (tables.directory, tables.problems)
    }

    /// Loads `sources`, reading files (tables by path, `:include:`s) from disk with `TableFile`.
    package static func load(_ sources: [AudienceSource], options: AudienceOptions = .init())
        -> (directory: AudienceDirectory, problems: [TableProblem]) {
        AudienceDirectory.load(sources, options: options, files: TableFile.read)
    }

    /// `3 tables: 12 lists, 840001 mailboxes` or `no tables`.
    package static func summary(_ config: DaemonConfig, _ directory: AudienceDirectory) -> String {
        let n = config.audienceSources.count
        let postfix = config.postfixTables.enabled ? "Postfix's maps (\(config.postfixTables.configDirectory)) and " : ""
        guard n > 0 || !postfix.isEmpty else { return "no audience tables (every address counts 1)" }
        return "\(postfix)\(n) table\(n == 1 ? "" : "s"): \(directory.listCount) lists, \(directory.mailboxCount) mailboxes"
    }
}

extension AudienceSource {
    /// The file a source reads, nil for text in memory.
    var filePath: String? {
        switch self {
        case .virtualAliases(let path), .aliases(let path), .sizes(let path): path
        case .virtualAliasesText, .aliasesText, .sizesText: nil
        }
    }
}

/// `breakwater check-config`: what to print about a configuration file, and whether it is good.
public enum ConfigCheck {
    /// Lines to print and the verdict.
    public struct Report: Sendable {
        public var lines: [String]
        public var ok: Bool
    }

    /// Checks the file at `path`, tables included.
    public static func run(path: String) -> Report {
        switch ConfigLoader.load(path: path) {
        case .failure(let errors):
            let n = errors.problems.count
            return Report(lines: errors.problems.map(\.description)
                + ["\(path): \(n) problem\(n == 1 ? "" : "s"); the daemon would not start with it"], ok: false)
        case .success(let config):
            let (directory, problems) = AudienceTables.load(config)
            var lines = problems.map { "warning: \(LogText.oneLine($0))" }
            let p = config.policy
            lines.append("\(path): OK")
            lines.append("  listen:   \(config.listen)")
            lines.append("  snapshot: " + (config.snapshotPath.isEmpty ? "off" : config.snapshotPath
                + " (every " + (config.snapshotInterval.map { "\($0)s" } ?? "stop only") + ")"))
            if !config.recordPath.isEmpty {
                lines.append("  record:   \(config.recordPath) (addresses \(config.recordHashKey.isEmpty ? "in clear" : "hashed"))")
            }
            lines.append("  tables:   \(AudienceTables.summary(config, directory))")
            lines.append("  storm:    reply-all from \(p.replyAllThreshold) mailboxes; trips at \(p.tripReplies) "
                + "in \(p.window)s; blocks \(p.blockDuration)s; hard gate \(p.hardGate.map(String.init) ?? "off")")
            return Report(lines: lines, ok: true)
        }
    }
}

import BreakwaterConfig
import Glibc

/// `breakwater check-config`: what to print about a configuration file, and whether it is good.
package enum ConfigCheck {
    /// Lines to print and the verdict.
    package struct Report: Sendable {
        package var lines: [String]
        package var ok: Bool
    }

    /// Checks the file at `path`, tables included.
    package static func run(path: String) -> Report {
        switch ConfigLoader.load(path: path, checks: .daemon) {
        case .failure(let errors):
            let n = errors.problems.count
            return Report(lines: errors.problems.map(\.description)
                + ["\(path): \(n) problem\(n == 1 ? "" : "s"); the daemon would not start with it"], ok: false)
        case .success(let config):
            if let refusal = userProblem(config, path: path) {
                return Report(lines: [refusal, "\(path): 1 problem; the daemon would not start with it as root"], ok: false)
            }
            let (directory, problems) = AudienceTables.load(config)
            var lines = problems.map { "warning: \(LogText.oneLine($0))" }
            lines += snapshotWarning(config)
            let p = config.policy
            lines.append("\(path): OK")
            lines.append("  listen:   \(config.listenAddress)")
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

    /// `run_as_user` naming a user that does not exist (or root): `run` as root would refuse to
    /// start (exit 77), so the check says so now, at the line that names it.
    static func userProblem(_ config: DaemonConfig, path: String) -> String? {
        guard !config.runAsUser.isEmpty, let problem = Privileges.check(config.runAsUser) else { return nil }
        let line = lineNumber(ofKey: "run_as_user", in: path).map { ":\($0)" } ?? ""
        return "\(path)\(line): run_as_user: \(problem.step): \(problem.detail)"
    }

    /// After the drop only the snapshot folder must be writable by `run_as_user`: warn when it
    /// exists and its mode bits would not let that user write there.
    static func snapshotWarning(_ config: DaemonConfig) -> [String] {
        guard !config.runAsUser.isEmpty, !config.snapshotPath.isEmpty,
              let identity = Privileges.lookUp(config.runAsUser) else { return [] }
        let folder = FileIO.directory(of: config.snapshotPath)
        var info = stat()
        guard stat(folder, &info) == 0 else { return [] }
        let mode = info.st_mode
        let writable = (info.st_uid == identity.uid && mode & 0o200 != 0)
            || (identity.groups.contains(info.st_gid) && mode & 0o020 != 0)
            || mode & 0o002 != 0
        return writable ? [] : ["warning: snapshot folder \(folder) is not writable by run_as_user \(config.runAsUser) "
            + "(uid \(identity.uid)): snapshots would fail after the daemon drops root"]
    }

    /// The line of the last `key = …` in the file (the one that counts), read as the loader
    /// reads settings, if the file can be read.
    static func lineNumber(ofKey key: String, in path: String) -> Int? {
        guard case .success(let bytes) = FileIO.read(path, limit: ConfigLoader.maxFileBytes) else { return nil }
        let settings = ConfigLines.split(String(decoding: bytes, as: UTF8.self), file: path).lines
        return settings.last { $0.key.lowercased() == key }?.line
    }
}

import BreakwaterConfig
import Glibc
import SharedState

/// `breakwater check-config`: what to print about a configuration file, and whether it is good.
package enum ConfigCheck {
    /// Lines to print and the verdict.
    package struct Report: Sendable {
        package var lines: [String]
        /// How the command exits: `.config` (78) for a file the daemon would refuse,
        /// `.startFailed` (69) for a shared state `--connect` could not reach.
        package var status: DaemonRuntime.ExitStatus
        /// True when the check passed.
        package var ok: Bool { status == .ok }

        package init(lines: [String], status: DaemonRuntime.ExitStatus) {
            self.lines = lines
            self.status = status
        }
    }

    /// Checks the file at `path`, tables included. With `connect`, also connects to the shared
    /// state (`shared_state`) as the daemon would; without it, no network is used.
    package static func run(path: String, connect: Bool = false) -> Report {
        switch ConfigLoader.load(path: path, checks: .daemon) {
        case .failure(let errors):
            let n = errors.problems.count
            return Report(lines: errors.problems.map(\.description)
                + ["\(path): \(n) problem\(n == 1 ? "" : "s"); the daemon would not start with it"], status: .config)
        case .success(let config):
            if let refusal = userProblem(config, path: path) {
                return Report(lines: [refusal, "\(path): 1 problem; the daemon would not start with it as root"], status: .config)
            }
            let (directory, problems) = AudienceTables.load(config)
            var lines = problems.map { "warning: \(LogText.oneLine($0))" }
            lines += snapshotWarning(config)
            lines += passwordFileWarning(config)
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
            lines.append("  shared:   " + sharedStateSummary(config.sharedState))
            guard connect, let shared = config.sharedState else { return Report(lines: lines, status: .ok) }
            switch reach(shared) {
            case .success(let server):
                lines.append("  shared:   reachable" + (server.map { " (\($0))" } ?? ""))
                return Report(lines: lines, status: .ok)
            case .failure(let why):
                lines.append("  shared:   cannot be used: \(LogText.oneLine(why.message))")
                lines.append("\(path): the shared state cannot be used; the daemon would start, but "
                    + (shared.failure == .local ? "judge reply-alls on this host's own ledger until it answers"
                       : "answer 451 4.3.0 to reply-alls until it answers"))
                return Report(lines: lines, status: .startFailed)
            }
        }
    }

    /// `redis://127.0.0.1:6380 (prefix breakwater:, timeout 50ms, on failure: local ledger)`, or
    /// `off (this host's own ledger)`.
    static func sharedStateSummary(_ shared: SharedStateSettings?) -> String {
        guard let shared else { return "off (this host's own ledger)" }
        return "\(shared.address) (prefix \(shared.prefix), timeout \(shared.timeoutText), on failure: \(shared.failure.summary))"
    }

    /// Connects as the daemon would (AUTH, then SELECT or PING) and asks `INFO server` for the
    /// server's name and version (nil when it will not say: an ACL user may lack `INFO`). The
    /// failure text names the server and never holds the password.
    static func reach(_ shared: SharedStateSettings) -> Result<String?, ReachError> {
        var credentials: RedisCredentials?
        if !shared.passwordFile.isEmpty {
            switch SharedStateSettings.readCredentials(path: shared.passwordFile) {
            case .success(let read): credentials = read
            case .failure(let error): return .failure(ReachError(message: error.description))
            }
        }
        do throws(RedisError) {
            let connection = try RedisConnection(to: shared.address, timeout: shared.timeout, credentials: credentials)
            guard let info = try? connection.command(["INFO", "server"]).text else { return .success(nil) }
            return .success(serverVersion(info: info))
        } catch {
            return .failure(ReachError(message: error.message))
        }
    }

    /// Why `--connect` failed.
    struct ReachError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// `Redis 7.0.15` or `Valkey 8.0.1` from the text of `INFO server`; nil when it names neither.
    static func serverVersion(info: String) -> String? {
        var fields: [Substring: Substring] = [:]
        for line in info.split(whereSeparator: { $0 == "\r\n" || $0 == "\n" || $0 == "\r" }) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon]] = line[line.index(after: colon)...]
        }
        if let valkey = fields["valkey_version"] { return "Valkey \(LogText.escape(String(valkey), maxBytes: 40))" }
        return fields["redis_version"].map { "Redis \(LogText.escape(String($0), maxBytes: 40))" }
    }

    /// A password file other users can read: the password is everyone's.
    static func passwordFileWarning(_ config: DaemonConfig) -> [String] {
        guard let path = config.sharedState?.passwordFile, !path.isEmpty else { return [] }
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & 0o004 != 0 else { return [] }
        return ["warning: shared_state_password_file \(path) is readable by every user (mode "
            + String(info.st_mode & 0o7777, radix: 8) + "): chmod 0640 and chown root:breakwater"]
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

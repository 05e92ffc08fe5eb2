package import BreakwaterConfig
import Logging
package import Milter

// What the daemon adds to the configuration BreakwaterConfig reads: the parts that need Milter
// (where to listen) or Logging (levels, the table warnings).

extension ConfigChecks {
    /// The daemon's checks: `listen` must be an address libmilter can listen on, and with
    /// `shared_state` set, the password file must be one the daemon can read and use.
    package static let daemon = ConfigChecks(listen: { v in
        do throws(MilterError) { _ = try ListenAddress(parsing: v); return nil } catch {
            if case let .badListenAddress(_, reason) = error {
                return "\(LogText.quoted(v, maxBytes: 120)) is not a listen address: \(reason)"
            }
            return "\(error)"
        }
    }, sharedStatePasswordFile: ConfigChecks.readsPasswordFile)
}

extension DaemonConfig {
    /// `listen` as Milter reads it. A configuration loaded with `ConfigChecks.daemon` always
    /// parses; only one built by hand with a bad value gets the built-in address instead.
    package var listenAddress: ListenAddress {
        (try? ListenAddress(parsing: listen)) ?? .inet(host: "127.0.0.1", port: 8894)
    }

    /// `log_level` in swift-log's words.
    var loggerLevel: Logger.Level {
        switch logLevel {
        case .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        }
    }

    /// Settings that a reload (SIGUSR1) cannot change, with their values, for the restart notice.
    var restartOnly: [(key: String, value: String)] {
        [("listen", listenAddress.description), ("socket_mode", String(socketMode, radix: 8)),
         ("socket_group", socketGroup ?? ""), ("milter_timeout", "\(milterTimeout)"),
         ("snapshot_path", snapshotPath), ("record_path", recordPath),
         ("record_hash_key", recordHashKey.isEmpty ? "" : "(set)"), ("max_threads", "\(maxThreads)"), ("thread_ttl", "\(threadTTL)"),
         ("run_as_user", runAsUser), ("allow_root", allowRoot ? "yes" : "no")]
            + sharedStateRestartOnly
    }

    /// The `shared_state*` keys: the shared store, its connections and its scripts are made once,
    /// at start. While `shared_state` is empty the others are ignored, so they count as their
    /// defaults: turning it on names only the keys that then differ from those.
    private var sharedStateRestartOnly: [(key: String, value: String)] {
        let shared = sharedState ?? SharedStateSettings(address: .unix(path: "/"))
        return [("shared_state", sharedState?.address.description ?? ""),
                ("shared_state_password_file", shared.passwordFile), ("shared_state_prefix", shared.prefix),
                ("shared_state_timeout", shared.timeoutText), ("shared_state_failure", shared.failure.rawValue)]
    }
}

extension AudienceTables {
    /// Loads and logs the problems as warnings.
    static func load(_ config: DaemonConfig, logger: Logger) -> Loaded {
        let tables = loaded(config)
        for p in tables.problems.prefix(100) { logger.warning("\(LogText.oneLine(p))") }
        if tables.problems.count > 100 { logger.warning("... and \(tables.problems.count - 100) more table problems") }
        return tables
    }
}

package import BreakwaterConfig
import Logging
package import Milter

// What the daemon adds to the configuration BreakwaterConfig reads: the parts that need Milter
// (where to listen) or Logging (levels, the table warnings).

extension ConfigChecks {
    /// The daemon's checks: `listen` must be an address libmilter can listen on.
    package static let daemon = ConfigChecks(listen: { v in
        do throws(MilterError) { _ = try ListenAddress(parsing: v); return nil } catch {
            if case let .badListenAddress(_, reason) = error {
                return "\(LogText.quoted(v, maxBytes: 120)) is not a listen address: \(reason)"
            }
            return "\(error)"
        }
    })
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

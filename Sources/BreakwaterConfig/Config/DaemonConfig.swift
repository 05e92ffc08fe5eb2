package import StormCore

// public (its members package) only while Daemon/Bridge/FilterService.swift names it in public API.
/// What a filter fault (a failed edit, a refused reply) does to the message.
public enum FailAction: String, Sendable, Equatable, CaseIterable {
    /// Let the message through unchanged: a broken filter must not stop mail.
    case accept
    /// Answer 451 4.7.1 so the client retries later.
    case tempfail
}

// public (its members package) only while Daemon/Bridge/FilterService.swift names it in public API.
/// Everything `breakwater.conf` says: the daemon's own settings and the storm policy.
///
/// Defaults are those of the shipped `Packaging/breakwater.conf`; a missing default config
/// file means exactly these.
public struct DaemonConfig: Sendable, Equatable {
    /// Where libmilter listens, as written (`unix:/path`, `inet:HOST:PORT`, ...): the daemon reads
    /// it with Milter's parser, which checked it at load (`ConfigChecks`).
    package var listen = "inet:127.0.0.1:8894"
    /// File mode of a unix socket.
    package var socketMode: UInt32 = 0o660
    /// Group of a unix socket (Postfix needs its own group to connect); nil leaves it alone.
    package var socketGroup: String? = "postfix"
    /// Seconds libmilter waits on a silent MTA: inside a command, and between commands (its
    /// worker pool closes a connection idle this long, checked every 600 s). Postfix sends a
    /// message's content only once the whole message has arrived, so the connection is silent
    /// for as long as the client takes to send DATA: 30 s (the old default) dropped such a
    /// connection at the next check and the message got milter_default_action (CHANGELOG.md, 2026-11-26).
    package var milterTimeout: Int64 = 3600
    /// Started as root: become this user (and its groups) before serving; empty keeps the identity.
    package var runAsUser = ""
    /// Started as root without `runAsUser`: run as root anyway (otherwise refuse to start).
    package var allowRoot = false

    /// Postfix virtual(5) source files.
    package var virtualAliasMaps: [String] = []
    /// aliases(5) files.
    package var aliasMaps: [String] = []
    /// `address size` files.
    package var listSizeMaps: [String] = []
    /// Domains where aliases(5) names apply; empty means every domain.
    package var localDomains: [String] = []
    /// `postfix_tables`, `postfix_config_directory`: also read the maps Postfix's main.cf names.
    package var postfixTables = PostfixTableSettings()

    /// The storm engine's knobs.
    package var policy = StormPolicy()

    /// Where the ledger is kept between runs; empty turns snapshots off.
    package var snapshotPath = "/var/lib/breakwater/ledger.snapshot"
    /// Seconds between snapshots; nil writes one only at stop.
    package var snapshotInterval: Int64? = 10
    /// Most threads the ledger remembers.
    package var maxThreads = LedgerLimits().maxThreads
    /// Seconds after which an idle thread is forgotten.
    package var threadTTL = LedgerLimits().threadTTL

    /// File the daemon appends every connection to, as a session file; empty turns recording off.
    package var recordPath = ""
    /// Key for hashing recorded addresses (`AddressHasher`); empty records them in clear.
    package var recordHashKey = ""

    /// The admin verbs' unix socket (`breakwater storms`, `release`...); empty turns it off.
    package var controlSocket = "/run/breakwater/control.sock"
    /// File mode of the control socket: owner-only, because it can release storms.
    package var controlSocketMode: UInt32 = 0o600
    /// `host:port` of the Prometheus endpoint (`GET /metrics`); empty turns it off.
    package var metricsListen = ""
    /// Program (and arguments, no shell) run once when a storm trips; empty runs nothing.
    package var notifyCommand = ""
    /// Seconds `notify_command` (and sendmail, for the storm mail) may run before it is killed.
    package var notifyTimeout: Int64 = 30
    /// `notify_mail`: addresses that get one summary mail per tripped storm; empty: none.
    package var notifyMail: [String] = []
    /// `notify_author`: also send that mail to the thread's original author.
    package var notifyAuthor = false
    /// `notify_relay`: the SMTP server (IPv4 host:port) that takes the storm mail.
    package var notifyRelay = "127.0.0.1:25"
    /// `sendmail_path`: a sendmail program to use instead of SMTP; empty: SMTP to `notifyRelay`.
    package var sendmailPath = ""

    /// `shared_state` and its companions: the Redis/Valkey server several MX hosts share their
    /// storms on; nil (`shared_state` empty, the default) when this host keeps its own ledger only.
    package var sharedState: SharedStateSettings?

    /// What a filter fault does to the message.
    package var failAction = FailAction.accept
    /// Least important entry logged.
    package var logLevel = LogLevel.info

    /// The built-in defaults.
    package init() {}

    /// The audience tables to load, in the order the engine reads them.
    package var audienceSources: [AudienceSource] {
        virtualAliasMaps.map { .virtualAliases(path: $0) } + aliasMaps.map { .aliases(path: $0) }
            + listSizeMaps.map { .sizes(path: $0) }
    }

    /// How table addresses are matched.
    package var audienceOptions: AudienceOptions {
        AudienceOptions(recipientDelimiter: policy.recipientDelimiter, localDomains: Set(localDomains))
    }

    /// The ledger's bounds.
    package var ledgerLimits: LedgerLimits {
        LedgerLimits(maxThreads: maxThreads, threadTTL: threadTTL)
    }
}

/// `log_level`: the least important entry logged; the daemon maps it onto its logger's levels.
package enum LogLevel: String, Sendable, Equatable, CaseIterable {
    /// Everything, including one line per message judged.
    case debug
    /// Start, stop, reloads and decisions worth a line.
    case info
    /// Storms and other things an admin should see.
    case notice
    /// Problems that do not stop the daemon.
    case warning
    /// Problems that do.
    case error
}

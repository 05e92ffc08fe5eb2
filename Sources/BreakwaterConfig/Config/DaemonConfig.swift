public import StormCore

/// What a filter fault (a failed edit, a refused reply) does to the message.
public enum FailAction: String, Sendable, Equatable, CaseIterable {
    /// Let the message through unchanged: a broken filter must not stop mail.
    case accept
    /// Answer 451 4.7.1 so the client retries later.
    case tempfail
}

/// Everything `breakwater.conf` says: the daemon's own settings and the storm policy.
///
/// Defaults are those of the shipped `Packaging/breakwater.conf`; a missing default config
/// file means exactly these.
public struct DaemonConfig: Sendable, Equatable {
    /// Where libmilter listens, as written (`unix:/path`, `inet:HOST:PORT`, ...): the daemon reads
    /// it with Milter's parser, which checked it at load (`ConfigChecks`).
    package var listen = "inet:127.0.0.1:8894"
    /// File mode of a unix socket.
    public var socketMode: UInt32 = 0o660
    /// Group of a unix socket (Postfix needs its own group to connect); nil leaves it alone.
    public var socketGroup: String? = "postfix"
    /// Seconds libmilter waits on a silent MTA: inside a command, and between commands (its
    /// worker pool closes a connection idle this long, checked every 600 s). Postfix sends a
    /// message's content only once the whole message has arrived, so the connection is silent
    /// for as long as the client takes to send DATA: 30 s (the old default) dropped such a
    /// connection at the next check and the message got milter_default_action (RELIABILITY.md).
    public var milterTimeout: Int64 = 3600
    /// Started as root: become this user (and its groups) before serving; empty keeps the identity.
    public var runAsUser = ""
    /// Started as root without `runAsUser`: run as root anyway (otherwise refuse to start).
    public var allowRoot = false

    /// Postfix virtual(5) source files.
    public var virtualAliasMaps: [String] = []
    /// aliases(5) files.
    public var aliasMaps: [String] = []
    /// `address size` files.
    public var listSizeMaps: [String] = []
    /// Domains where aliases(5) names apply; empty means every domain.
    public var localDomains: [String] = []
    /// `postfix_tables`, `postfix_config_directory`: also read the maps Postfix's main.cf names.
    public var postfixTables = PostfixTableSettings()

    /// The storm engine's knobs.
    public var policy = StormPolicy()

    /// Where the ledger is kept between runs; empty turns snapshots off.
    public var snapshotPath = "/var/lib/breakwater/ledger.snapshot"
    /// Seconds between snapshots; nil writes one only at stop.
    public var snapshotInterval: Int64? = 10
    /// Most threads the ledger remembers.
    public var maxThreads = LedgerLimits().maxThreads
    /// Seconds after which an idle thread is forgotten.
    public var threadTTL = LedgerLimits().threadTTL

    /// File the daemon appends every connection to, as a session file; empty turns recording off.
    public var recordPath = ""
    /// Key for hashing recorded addresses (`AddressHasher`); empty records them in clear.
    public var recordHashKey = ""

    /// The admin verbs' unix socket (`breakwater storms`, `release`...); empty turns it off.
    public var controlSocket = "/run/breakwater/control.sock"
    /// File mode of the control socket: owner-only, because it can release storms.
    public var controlSocketMode: UInt32 = 0o600
    /// `host:port` of the Prometheus endpoint (`GET /metrics`); empty turns it off.
    public var metricsListen = ""
    /// Program (and arguments, no shell) run once when a storm trips; empty runs nothing.
    public var notifyCommand = ""
    /// Seconds `notify_command` (and sendmail, for the storm mail) may run before it is killed.
    public var notifyTimeout: Int64 = 30
    /// `notify_mail`: addresses that get one summary mail per tripped storm; empty: none.
    public var notifyMail: [String] = []
    /// `notify_author`: also send that mail to the thread's original author.
    public var notifyAuthor = false
    /// `notify_relay`: the SMTP server (IPv4 host:port) that takes the storm mail.
    public var notifyRelay = "127.0.0.1:25"
    /// `sendmail_path`: a sendmail program to use instead of SMTP; empty: SMTP to `notifyRelay`.
    public var sendmailPath = ""

    /// What a filter fault does to the message.
    public var failAction = FailAction.accept
    /// Least important entry logged.
    package var logLevel = LogLevel.info

    /// The built-in defaults.
    public init() {}

    /// The audience tables to load, in the order the engine reads them.
    public var audienceSources: [AudienceSource] {
        virtualAliasMaps.map { .virtualAliases(path: $0) } + aliasMaps.map { .aliases(path: $0) }
            + listSizeMaps.map { .sizes(path: $0) }
    }

    /// How table addresses are matched.
    public var audienceOptions: AudienceOptions {
        AudienceOptions(recipientDelimiter: policy.recipientDelimiter, localDomains: Set(localDomains))
    }

    /// The ledger's bounds.
    public var ledgerLimits: LedgerLimits {
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

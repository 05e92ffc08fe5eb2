import BreakwaterConfig
import Glibc
import Logging
import Milter
import SharedState
import StormCore
import Synchronization

/// `breakwater run`: loads the configuration, restores the ledger, serves libmilter until a
/// stop signal, then writes the snapshot. Everything the command does lives here so tests can
/// reach it; the executable only parses arguments.
package enum DaemonRuntime {
    /// Exit statuses, as sysexits.h names them.
    package enum ExitStatus: Int32 {
        case ok = 0
        case startFailed = 69   // EX_UNAVAILABLE
        case noPermission = 77  // EX_NOPERM: root without run_as_user or allow_root, or the drop failed
        case config = 78        // EX_CONFIG
    }

    /// Where the configuration comes from.
    package struct Options: Sendable {
        /// The file to read.
        package var configPath: String
        /// True when the admin named the file (a missing one is then an error).
        package var explicit: Bool
        /// Log to stderr instead of syslog.
        package var foreground: Bool
        /// `--allow-root`: started as root without `run_as_user`, stay root.
        package var allowRoot: Bool

        package init(configPath: String, explicit: Bool, foreground: Bool, allowRoot: Bool = false) {
            self.configPath = configPath
            self.explicit = explicit
            self.foreground = foreground
            self.allowRoot = allowRoot
        }
    }

    /// Runs the daemon to its end and returns the exit status. Call once per process, after
    /// `DaemonSignals.block()`.
    package static func run(_ options: Options) -> ExitStatus {
        // why: each snapshot copies the ledger and encodes it into one large buffer. With glibc's
        // dynamic mmap threshold those blocks moved into the malloc arenas after the first free
        // and fragmented there: RSS rose ~30 MiB per snapshot, to 463 MiB over a 10 M-message
        // flood whose ledger needs ~110 MiB. A fixed 1 MiB threshold keeps them mmapped and
        // returned at free (CHANGELOG.md, live flood).
        MallocTuning.fixMmapThreshold(bytes: 1 << 20)
        // why: with snapshots every 10 s RSS still crept 2.6-3.6 KiB per 1,000 messages in the
        // soak; with two arenas it stayed within its bound (0.6; CHANGELOG.md, soak).
        MallocTuning.limitArenas(2)
        LoggingSystem.bootstrap { _ in
            DaemonLogHandler(destination: options.foreground ? .standardError : .syslog)
        }
        let logger = Logger(label: "breakwater")

        guard let config = initialConfig(options, logger: logger) else { return .config }
        DaemonLogHandler.setThreshold(config.loggerLevel)
        let privileges = Privileges.plan(uid: getuid(), euid: geteuid(), runAsUser: config.runAsUser,
                                         allowRoot: options.allowRoot || config.allowRoot)
        if privileges == .refuse {
            logger.error(Logger.Message(stringLiteral: Privileges.refusal))
            if !options.foreground { Privileges.tellStandardError("breakwater: \(Privileges.refusal)\n") }
            return .noPermission
        }
        // A user that cannot be become is found now, before any socket or file exists.
        if case .become(let user) = privileges, let problem = Privileges.check(user) {
            logger.error("\(problem)")
            if !options.foreground { Privileges.tellStandardError("breakwater: \(problem)\n") }
            return .noPermission
        }
        logger.notice(Logger.Message(stringLiteral: "breakwater \(BreakwaterVersion.string) starting: listen=\(config.listenAddress) "
            + "snapshot=\(config.snapshotPath.isEmpty ? "off" : config.snapshotPath)"))

        let tables = AudienceTables.load(config, logger: logger)
        let (directory, tableProblems) = (tables.directory, tables.problems.count)
        logger.info("audience: \(AudienceTables.summary(config, directory))")
        let store = SnapshotStore(path: config.snapshotPath)
        let now = FilterService.systemClock()
        let ledger = store.restore(limits: config.ledgerLimits, now: now, logger: logger)
        let shared = config.sharedState.map { sharedStore($0, ledger: ledger, logger: logger) }
        let engine = shared.map { StormEngine(policy: config.policy, directory: directory, ledger: ledger, store: $0) }
            ?? StormEngine(policy: config.policy, directory: directory, ledger: ledger)
        // why now: the first connection (and the blocks it writes back) before the first message;
        // a server that is away costs at most the timeout here, then the keeper retries.
        shared?.maintain(now: now)
        let keeper = StoppableThread()
        if let shared, !keeper.start({ [keeper] in
            while !keeper.waitForStop(milliseconds: 500) { shared.maintain(now: FilterService.systemClock()) }
        }) {
            logger.error("cannot start the shared-state thread; a lost server will not be reconnected")
        }
        let recorder = config.recordPath.isEmpty ? nil
            : SessionRecorder(path: config.recordPath, hashKey: config.recordHashKey, logger: logger)
        if let recorder {
            logger.notice(Logger.Message(stringLiteral: "recording sessions to \(recorder.path)"
                + (config.recordHashKey.isEmpty ? " (addresses in clear)" : " (addresses hashed)")))
        }
        let service = FilterService(engine: engine, logger: logger, failAction: config.failAction, recorder: recorder)
        service.operations.tableProblems.store(tableProblems, ordering: .relaxed)

        let housekeeper = Housekeeper(service: service, store: store, interval: config.snapshotInterval)
        // why: an expiry due while the daemon was down is logged at start, not ten seconds later.
        housekeeper.sweep()
        if !housekeeper.start() { logger.error("cannot start the snapshot thread; snapshots only at stop") }
        let reloader = Reloader(options: options, current: config, service: service, housekeeper: housekeeper)
        if !DaemonSignals.startReloadThread({ reloader.reload() }) {
            logger.error("cannot start the reload thread; SIGUSR1 will be ignored")
        }
        let operations = OperationsServices.start(config, service: service, snapshotPath: store.path) { reloader.reload() }
        if let raised = OpenFileWatch.raiseLimit() {
            logger.info("open files limit raised from \(raised.before) to \(raised.after) (the hard limit)")
        }
        let openFiles = OpenFileWatch(logger: logger)
        if !openFiles.start() { logger.error("cannot start the open-files watch; running out of descriptors will not be logged") }

        // why: everything above (config, tables, snapshot, control and metrics sockets) and the
        // milter socket itself are opened as root; root is dropped just before serving.
        var dropFailed = false
        let dropRoot = { () -> Bool in
            guard case .become(let user) = privileges else { return true }
            switch Privileges.become(user) {
            case .success(let who):
                logger.notice(Logger.Message(stringLiteral: "dropped root: running as \(who.user) (uid \(who.uid), gid \(who.gid), "
                    + "groups \(who.groups.map(String.init).joined(separator: ",")))"))
                return true
            case .failure(let error):
                logger.error("\(error)")
                if !options.foreground { Privileges.tellStandardError("breakwater: \(error)\n") }
                dropFailed = true
                return false
            }
        }
        let milter = FilterService.milterConfiguration(config) { logger.notice("\($0)") }
        logger.notice("listening on \(config.listenAddress) (Postfix: smtpd_milters = \(config.listenAddress))")
        var status = ExitStatus.ok
        do throws(MilterError) {
            try MilterRunner.run(milter, beforeServing: dropRoot) { service.makeHandler() }
            logger.notice("stop requested; libmilter has stopped")
        } catch {
            switch error {
            case .startFailed where dropFailed:
                status = .noPermission
            case .startFailed, .badListenAddress, .alreadyStarted:
                logger.error("\(error)")
                status = .startFailed
            default:
                // why: after a SIGINT libmilter reports its loop as failed; the state is still good.
                logger.warning("\(error)")
            }
        }
        operations.stop()
        keeper.stop()
        openFiles.stop()
        housekeeper.stop()
        // why: after a failed start another instance may own the snapshot; leave it alone.
        if store.isEnabled, status == .ok {
            if housekeeper.saveSnapshot() {
                let totals = engine.ledger.totals(now: service.clock())
                logger.notice(Logger.Message(stringLiteral: "snapshot written to \(store.path): \(totals.threads) threads, "
                    + "\(totals.activeStorms) storms blocked"))
            }
        }
        logger.notice("breakwater stopped")
        return status
    }

    /// The store shared with the other hosts on `settings`' server, over this host's ledger.
    static func sharedStore(_ settings: SharedStateSettings, ledger: ThreadLedger, logger: Logger) -> SharedThreadStore {
        var credentials: RedisCredentials?
        if !settings.passwordFile.isEmpty {
            switch SharedStateSettings.readCredentials(path: settings.passwordFile) {
            case .success(let c): credentials = c
            case .failure(let error):
                // why go on: check-config refuses an unreadable file, so this is a file changed
                // since; the server will refuse us and decisions stay local until a restart.
                logger.error("\(error); connecting without a password")
            }
        }
        let store = SharedThreadStore(
            settings: .init(address: settings.address, credentials: credentials, prefix: settings.prefix,
                            timeout: settings.timeout, tempfail: settings.failure == .tempfail),
            local: ledger,
            log: { level, text in
                switch level {
                case .notice: logger.notice(Logger.Message(stringLiteral: text))
                case .error: logger.error(Logger.Message(stringLiteral: text))
                }
            })
        logger.notice(Logger.Message(stringLiteral: "shared state: \(settings.address), prefix \(settings.prefix), timeout "
            + "\(settings.timeoutText), on failure: " + (settings.failure == .tempfail ? "defer" : "this host's ledger")))
        return store
    }

    /// The configuration at start; nil (with each problem logged) when it is unusable.
    static func initialConfig(_ options: Options, logger: Logger) -> DaemonConfig? {
        switch read(options) {
        case .success(let (config, usedDefaults)):
            if usedDefaults {
                logger.notice("no configuration file at \(options.configPath); using the built-in defaults")
            }
            return config
        case .failure(let errors):
            for p in errors.problems { logger.error("\(p)") }
            logger.error(Logger.Message(stringLiteral: "configuration has \(errors.problems.count) problem\(errors.problems.count == 1 ? "" : "s"); "
                + "not starting (check it with: breakwater check-config \(options.configPath))"))
            return nil
        }
    }

    /// Reads the configuration; a missing default file means the built-in defaults.
    static func read(_ options: Options) -> Result<(DaemonConfig, Bool), ConfigErrors> {
        if !options.explicit && !FileIO.exists(options.configPath) {
            return .success((DaemonConfig(), true))
        }
        return ConfigLoader.load(path: options.configPath, checks: .daemon).map { ($0, false) }
    }
}

/// SIGUSR1: reads the configuration and tables again and swaps them in at once; a bad new
/// configuration is logged, problem by problem, and the one in force is kept.
final class Reloader: Sendable {
    private let options: DaemonRuntime.Options
    private let current: Mutex<DaemonConfig>
    private let service: FilterService
    private let housekeeper: Housekeeper

    init(options: DaemonRuntime.Options, current: DaemonConfig, service: FilterService, housekeeper: Housekeeper) {
        self.options = options
        self.current = Mutex(current)
        self.service = service
        self.housekeeper = housekeeper
    }

    func reload() {
        let logger = service.logger
        logger.notice("SIGUSR1: reloading \(options.configPath)")
        let config: DaemonConfig
        switch DaemonRuntime.read(options) {
        case .failure(let errors):
            for p in errors.problems { logger.error("\(p)") }
            logger.error(Logger.Message(stringLiteral: "reload failed with \(errors.problems.count) problem\(errors.problems.count == 1 ? "" : "s"); "
                + "keeping the configuration in force"))
            return
        case .success(let (loaded, usedDefaults)):
            if usedDefaults { logger.notice("no configuration file at \(options.configPath); using the built-in defaults") }
            config = loaded
        }
        let tables = AudienceTables.load(config, logger: logger)
        var directory = tables.directory
        if !tables.unreadable.isEmpty {
            // why: a table that was deleted or replaced mid-update would make every one of its
            // lists count 1 until the next reload: exactly when a storm can start.
            directory = service.engine.directory
            logger.error(Logger.Message(stringLiteral: "cannot read \(tables.unreadable.joined(separator: ", ")): keeping the audience "
                + "tables in force (\(directory.listCount) lists); fix the file and reload"))
        }
        service.engine.reconfigure(policy: config.policy, directory: directory)
        service.operations.tableProblems.store(tables.problems.count, ordering: .relaxed)
        service.failAction = config.failAction
        housekeeper.setInterval(config.snapshotInterval)
        DaemonLogHandler.setThreshold(config.loggerLevel)
        let old = current.withLock { c -> DaemonConfig in
            defer { c = config }
            return c
        }
        for (before, after) in zip(old.restartOnly, config.restartOnly) where before.value != after.value {
            logger.warning(Logger.Message(stringLiteral: "\(after.key) changed from \"\(before.value)\" to \"\(after.value)\": "
                + "restart breakwater to apply it (a reload keeps the old value)"))
        }
        logger.notice("reloaded \(options.configPath): \(AudienceTables.summary(config, directory))")
    }
}

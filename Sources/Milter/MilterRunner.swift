import CMilter
import CMilterGuard
import Glibc
import Synchronization

/// Starts and stops the milter. libmilter allows one filter per process, so this is a
/// namespace over process-wide state rather than an object.
public enum MilterRunner {
    private static let started = Atomic<Bool>(false)

    /// Blocks SIGHUP, SIGTERM and SIGINT in the calling thread and every thread it starts later.
    ///
    /// Call it as the **first statement of `main`**, before anything can start a thread
    /// (Dispatch, a Task, a logger): libmilter's signal thread waits for these signals with
    /// `sigwait` and relies on every other thread having them blocked; a thread started earlier
    /// takes SIGTERM's default action and kills the process instead of stopping it cleanly.
    /// Handle reloads with another signal (SIGUSR1) or a control socket.
    public static func blockStopSignals() throws(MilterError) {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in [SIGHUP, SIGTERM, SIGINT] { sigaddset(&set, signal) }
        let status = pthread_sigmask(SIG_BLOCK, &set, nil)
        guard status == 0 else { throw .signalMaskFailed(errno: status) }
    }

    /// Registers with libmilter, opens the listening socket, and serves connections until
    /// SIGTERM, SIGHUP or SIGINT arrives or ``stop()`` is called; then returns.
    ///
    /// Fails before serving if the address is busy or bad, so the daemon can print why.
    /// A stale unix socket is removed (but not one another process is listening on); a unix
    /// socket gets ``MilterConfiguration/socketMode`` and ``MilterConfiguration/socketGroup``;
    /// a TCP listener gets TCP_NODELAY. `makeHandler` is called on libmilter's threads, once per
    /// connection. May be called once per process.
    /// Returning can take up to ~5 s after the stop request (libmilter's poll interval);
    /// messages still in flight are dropped and the MTA applies its default action.
    /// `beforeServing` runs once the socket is open and prepared, just before libmilter starts
    /// serving: the place to drop root, so the socket can be a privileged one. Returning false
    /// stops the start with ``MilterError/startFailed(step:detail:)``.
    public static func run(
        _ configuration: MilterConfiguration,
        beforeServing: () -> Bool = { true },
        makeHandler: @escaping @Sendable () -> any MilterHandler
    ) throws(MilterError) {
        guard started.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent).exchanged
        else { throw .alreadyStarted }
        registration.withLock { $0 = Registration(configuration: configuration, makeHandler: makeHandler) }

        try register(name: configuration.name)
        // why a staging name: libmilter binds and listens in one call, and Postfix (not root)
        // could connect before the mode and group were set: EACCES, and milter_default_action
        // for that session (seen in the Postfix tests). The socket is born under a hidden name
        // and renamed onto its path once it is ready.
        var staging: String?
        if case let .unix(path) = configuration.listen {
            staging = SocketSetup.stagingPath(for: path)
            for file in SocketSetup.removeStaleStaging(for: path) {
                configuration.notice("removed \(file), the socket of a process killed while it started")
            }
        }
        let spec = staging.map { "local:\($0)" } ?? configuration.listen.libmilterSpec
        // why: smfi_setconn copies the string (found by the leak check: a strdup'd copy here
        // was never freed), so a temporary C string is enough.
        guard spec.withCString({ smfi_setconn(UnsafeMutablePointer(mutating: $0)) }) == MI_SUCCESS else {
            throw .startFailed(step: "smfi_setconn(\(spec))", detail: "libmilter rejected the address")
        }
        guard smfi_settimeout(Int32(clamping: configuration.timeout)) == MI_SUCCESS else {
            throw .startFailed(step: "smfi_settimeout", detail: "bad timeout \(configuration.timeout)")
        }
        // why: libmilter drops a connection whose command exceeds this (64 KiB - 1 unless
        // raised), and a header is one command: see MilterConfiguration.maxCommandBytes.
        _ = smfi_setmaxdatasize(max(configuration.maxCommandBytes, 65_535))
        if case let .unix(path) = configuration.listen, SocketSetup.isSomeoneListening(onUnixPath: path) {
            throw .startFailed(step: "smfi_opensocket(\(spec))", detail: "another process is listening on \(path)")
        }
        errno = 0
        guard smfi_opensocket(true) == MI_SUCCESS else {
            let reason = errno == 0 ? "see syslog" : String(cString: strerror(errno))
            throw .startFailed(step: "smfi_opensocket(\(spec))", detail: "\(reason) (address busy, bad, or not permitted?)")
        }
        SocketSetup.prepare(configuration, unixPath: staging)
        var published: SocketSetup.Published?
        if let staging, case let .unix(path) = configuration.listen {
            switch SocketSetup.publish(staging, at: path) {
            case let .success(p): published = p
            case let .failure(e): throw .startFailed(step: "rename(\(staging), \(path))", detail: e.reason)
            }
        }
        // why: libmilter removes the name it bound (the staging one, gone); the socket at its
        // path is ours to remove when the daemon stops.
        defer { published?.remove() }
        if !guardActive {
            configuration.notice("warning: the guard against malformed milter commands is not active "
                + "(libmilter's mi_rd_cmd is not bound to it); a malformed macro command can crash libmilter")
        }
        if !breakwater_accept_pause_active() {
            configuration.notice("warning: accept is not bound to Breakwater's wrapper; at the open-files limit "
                + "libmilter's listener will spin a whole core until descriptors are free")
        }
        guard beforeServing() else {
            throw .startFailed(step: "before serving", detail: "the caller stopped the start (see its log)")
        }
        guard smfi_main() == MI_SUCCESS else { throw .mainLoopFailed }
    }

    /// True when libmilter reads every command through the guard (CMilterGuard), which refuses
    /// the one malformed command libmilter would read past the end of: a macro command with an
    /// odd number of strings. That connection is closed and the MTA applies its default action
    /// to the message.
    public static var guardActive: Bool { breakwater_guard_active() }

    /// Failed accepts (no descriptor free) that paused before libmilter retried, since start.
    public static var acceptPauses: Int { Int(breakwater_accept_pauses()) }

    /// Commands the guard refused since the process started.
    public static var refusedCommands: Int { Int(breakwater_guard_refused()) }

    /// Asks ``run(_:makeHandler:)`` to return. Safe from any thread, at any time.
    public static func stop() {
        _ = smfi_stop()
    }

    private static func register(name: String) throws(MilterError) {
        var description = smfiDesc()
        // why: smfi_register copies the description and the name; ours is freed after the call.
        let cName = strdup(name)
        defer { free(cName) }
        description.xxfi_name = cName
        description.xxfi_version = SMFI_VERSION
        // why: the flags are negotiated per connection in milterNegotiate; these are only
        // libmilter's upper bound for what may be granted.
        description.xxfi_flags = UInt(SMFIF_ADDHDRS | SMFIF_CHGBODY | SMFIF_ADDRCPT | SMFIF_DELRCPT
            | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_CHGFROM | SMFIF_ADDRCPT_PAR | SMFIF_SETSYMLIST)
        description.xxfi_connect = milterConnect
        description.xxfi_helo = milterHelo
        description.xxfi_envfrom = milterMailFrom
        description.xxfi_envrcpt = milterRecipient
        description.xxfi_header = milterHeader
        description.xxfi_eoh = milterEndOfHeaders
        description.xxfi_eom = milterEndOfMessage
        description.xxfi_abort = milterAbort
        description.xxfi_close = milterClose
        description.xxfi_negotiate = milterNegotiate
        guard smfi_register(description) == MI_SUCCESS else {
            throw .startFailed(step: "smfi_register", detail: "libmilter refused the filter description")
        }
    }
}

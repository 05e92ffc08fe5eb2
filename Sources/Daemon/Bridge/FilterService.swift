public import BreakwaterConfig
import Glibc
public import Logging
public import Milter
package import SharedState
public import StormCore
import Synchronization

/// What every connection's filter shares: the engine, the log, the clock, and the settings a
/// reload may change. One per process.
public final class FilterService: Sendable {
    /// The storm engine (its ledger is the daemon's state).
    public let engine: StormEngine
    let logger: Logger
    let clock: @Sendable () -> Instant
    private let failActionSetting: Mutex<FailAction>
    /// Where connections are recorded as sessions; nil when `record_path` is empty.
    let recorder: SessionRecorder?
    /// Verdict counts and metrics since start, for the control socket and `/metrics`.
    public let operations = OperationsCounters()

    /// The modifications Breakwater may make, declared to the MTA.
    public static let actions: FilterActions = [.addHeaders, .addRecipients, .deleteRecipients, .quarantine]
    /// The steps it listens to; it answers none of them (only end of message).
    public static let steps: FilterSteps = [.connect, .mailFrom, .recipient, .header, .endOfHeaders]
    /// The macros it reads, per stage. `i` comes from DATA on with smtpd, at MAIL with sendmail -t.
    public static let macros: [MacroStage: [String]] = [
        .mailFrom: ["i", "auth_authen"],
        .endOfHeaders: ["i"],
        .endOfMessage: ["i"],
    ]

    /// A service over `engine`, logging to `logger`, reading time from `clock`, recording
    /// connections to `recorder` if one is given.
    public init(engine: StormEngine, logger: Logger, failAction: FailAction,
                clock: @escaping @Sendable () -> Instant = FilterService.systemClock,
                recorder: SessionRecorder? = nil) {
        self.engine = engine
        self.recorder = recorder
        self.logger = logger
        self.clock = clock
        failActionSetting = Mutex(failAction)
    }

    /// The store shared with other hosts, when `shared_state` is set.
    package var sharedState: SharedThreadStore? { engine.store as? SharedThreadStore }

    /// Wall-clock seconds.
    public static let systemClock: @Sendable () -> Instant = { Instant(seconds: Int64(time(nil))) }

    /// What a filter fault does to the message now.
    public var failAction: FailAction {
        get { failActionSetting.withLock { $0 } }
        set { failActionSetting.withLock { $0 = newValue } }
    }

    /// A filter for one new connection.
    public func makeHandler() -> any MilterHandler { StormFilter(service: self) }

    /// The Milter module's settings for this daemon's configuration.
    public static func milterConfiguration(_ config: DaemonConfig, notice: @escaping @Sendable (String) -> Void)
        -> MilterConfiguration {
        MilterConfiguration(
            // why HELO only when recording: it is the one step the verdict never needs.
            name: "breakwater", listen: config.listenAddress, actions: actions,
            steps: config.recordPath.isEmpty ? steps : steps.union(.helo), answeredSteps: [],
            macros: macros, timeout: Int(config.milterTimeout), socketMode: config.socketMode,
            socketGroup: config.socketGroup, notice: notice)
    }

    /// What a message whose handling failed gets, as configured: no edits, and either
    /// delivery or a temporary failure.
    var failActions: MilterActions {
        switch failAction {
        case .accept: MilterActions()
        case .tempfail:
            MilterActions(reply: .tempfail(code: 451, enhancedCode: "4.7.1",
                                           text: "Breakwater could not check this message; try again later"))
        }
    }

    /// Logs a verdict's line and its storm events.
    func log(_ verdict: Verdict, facts: MessageFacts, recipientCount: Int) {
        operations.counted(verdict)
        if let line = DecisionLog.line(for: verdict, facts: facts, recipientCount: recipientCount) {
            logger.notice("\(line)")
        } else if logger.logLevel <= .debug {
            logger.debug(Logger.Message(stringLiteral: "\(DecisionLog.queue(facts.queueID)): breakwater: accept reason=\(verdict.reason) "
                + "audience=\(verdict.figures.audience) rcpts=\(recipientCount)"))
        }
        for event in verdict.events {
            let line = DecisionLog.line(for: event, queueID: facts.queueID)
            if event.kind == .tripped { logger.warning("\(line)") } else { logger.notice("\(line)") }
        }
    }
}

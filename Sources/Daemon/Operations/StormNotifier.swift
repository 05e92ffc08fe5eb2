import BreakwaterConfig
import Glibc
import Logging
import StormCore

/// Runs the admin's `notify_command` once when a storm trips: no shell, the storm's facts in
/// BREAKWATER_* environment variables, on a thread of its own so a decision never waits, and
/// killed if it runs past `timeout` seconds.
final class StormNotifier: Sendable {
    /// The program (an absolute path) and its arguments, split on spaces; no shell, no quoting.
    let arguments: [String]
    let timeout: Int64
    private let ledger: ThreadLedger
    private let logger: Logger

    init?(command: String, timeout: Int64, ledger: ThreadLedger, logger: Logger) {
        // why scalars: a space followed by a combining mark is one Character, yet still a space.
        let words = command.unicodeScalars.split(separator: " ").map(String.init)
        guard !words.isEmpty else { return nil }
        arguments = words
        self.timeout = timeout
        self.ledger = ledger
        self.logger = logger
    }

    /// The environment for one storm: the facts an alert needs, and a PATH for the program's own use.
    func environment(for event: StormEvent) -> [String] {
        let summary = ledger.thread(event.thread.description, now: event.at)
        // why: values come from mail; newlines and control bytes are escaped like log text.
        func clean(_ s: String) -> String { LogText.escape(s, maxBytes: 500) }
        return [
            "PATH=/usr/local/bin:/usr/bin:/bin",
            "BREAKWATER_THREAD=\(event.thread)",
            "BREAKWATER_SUBJECT=\(clean(summary?.subject ?? event.subject))",
            "BREAKWATER_AUTHOR=\(clean(summary?.author ?? ""))",
            "BREAKWATER_AUDIENCE=\(summary?.audience ?? event.threadAudience)",
            "BREAKWATER_REPLIES=\(summary.map { $0.repliesPassed + $0.repliesStopped } ?? event.repliesInWindow)",
            "BREAKWATER_BLOCKED_UNTIL=\(event.blockedUntil.map { OperationsText.time($0.seconds) } ?? "")",
            "BREAKWATER_ROOT_ID=\(clean(summary?.rootID ?? ""))",
        ]
    }

    /// Starts the command for `event` and returns at once.
    func notify(_ event: StormEvent) {
        let env = environment(for: event)
        if BackgroundThread.start({ [self] in run(env, thread: event.thread) }) == nil {
            logger.error("notify_command: cannot start a thread; storm \(event.thread) not notified")
        }
    }

    private func run(_ env: [String], thread: MessageKey) {
        switch BoundedCommand.run(arguments, environment: env, timeout: timeout) {
        case .exited(0): break
        case .exited(let code):
            logger.warning("notify_command for storm \(thread) ended with status \(code)")
        case .killedAfterTimeout:
            logger.warning("notify_command for storm \(thread) ran past \(timeout)s and was killed")
        case .couldNotStart(let why):
            logger.error("notify_command \(arguments[0]): cannot start: \(why)")
        }
    }
}

import BreakwaterConfig
import Glibc
package import Logging
import Synchronization

/// Where log lines go.
package enum LogDestination: Sendable {
    /// Standard error, one unbuffered write per line, with a timestamp (for `--foreground`).
    case standardError
    /// syslog, facility mail, ident `breakwater`, with the pid (the MTA's log, where admins look).
    case syslog
    /// A function, for tests.
    case custom(@Sendable (Logger.Level, String) -> Void)
}

/// The daemon's swift-log handler: one entry is always one line, and the threshold can be
/// changed at run time (a reload may change `log_level`), for every logger at once.
package struct DaemonLogHandler: LogHandler {
    /// The threshold shared by every handler, as `Logger.Level`'s raw order.
    private static let threshold = Atomic<UInt8>(LevelCode.of(.info))
    private static let syslogOpened = Atomic<Bool>(false)

    private let destination: LogDestination
    /// Carried but unused in lines: entries are written as their message alone.
    package var metadata: Logger.Metadata = [:]

    /// A handler writing to `destination`.
    package init(destination: LogDestination) {
        self.destination = destination
        if case .syslog = destination, Self.syslogOpened.compareExchange(
            expected: false, desired: true, ordering: .sequentiallyConsistent).exchanged {
            // why: openlog keeps the ident pointer, so it must live as long as the process.
            openlog(strdup("breakwater"), LOG_PID | LOG_NDELAY, LOG_MAIL)
        }
    }


    /// Sets the least important level written, for every logger.
    package static func setThreshold(_ level: Logger.Level) {
        threshold.store(LevelCode.of(level), ordering: .relaxed)
    }

    package var logLevel: Logger.Level {
        get { LevelCode.level(Self.threshold.load(ordering: .relaxed)) }
        set { Self.setThreshold(newValue) }
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        let text = LogText.oneLine(event.message.description)
        switch destination {
        case .standardError:
            let line = "\(Self.timestamp()) breakwater[\(getpid())]: \(event.level): \(text)\n"
            var bytes = Array(line.utf8)
            bytes.withUnsafeMutableBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = write(2, raw.baseAddress! + done, raw.count - done)
                    if n < 0 { if errno == EINTR { continue } else { return } }
                    done += n
                }
            }
        case .syslog:
            text.withCString { message in
                withVaList([message]) { vsyslog(Self.priority(event.level), "%s", $0) }
            }
        case .custom(let sink):
            sink(event.level, text)
        }
    }

    static func priority(_ level: Logger.Level) -> Int32 {
        switch level {
        case .trace, .debug: LOG_DEBUG
        case .info: LOG_INFO
        case .notice: LOG_NOTICE
        case .warning: LOG_WARNING
        case .error: LOG_ERR
        case .critical: LOG_CRIT
        }
    }

    /// `2016-11-14T16:22:05Z`.
    static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let n = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// `Logger.Level` as a number for the atomic threshold.
enum LevelCode {
    static let order: [Logger.Level] = [.trace, .debug, .info, .notice, .warning, .error, .critical]
    static func of(_ level: Logger.Level) -> UInt8 { UInt8(order.firstIndex(of: level) ?? 2) }
    static func level(_ code: UInt8) -> Logger.Level { order[min(Int(code), order.count - 1)] }
}

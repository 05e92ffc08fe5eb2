import Foundation
public import StormCore

/// One request on the control socket: a single line of JSON, then the daemon answers with a
/// single line of JSON and closes. One request per connection keeps both sides trivial.
public struct ControlRequest: Codable, Sendable, Equatable {
    /// `storms`, `thread`, `release`, `freeze`, `stats`, `reload`, `report`.
    public var verb: String
    /// A 16-hex thread key or a Message-ID (thread, release, freeze).
    public var id: String?
    /// Why an admin released or froze a thread; logged.
    public var reason: String?
    /// How long a freeze lasts, or how far back a report or `storms` list reaches, in seconds.
    public var seconds: Int64?

    /// A request for `verb`.
    public init(verb: String, id: String? = nil, reason: String? = nil, seconds: Int64? = nil) {
        self.verb = verb; self.id = id; self.reason = reason; self.seconds = seconds
    }
}

/// A thread as the control socket shows it: `ThreadSummary` in plain JSON types.
public struct ThreadView: Codable, Sendable, Equatable {
    public var thread: String
    public var rootID: String
    public var subject: String
    public var author: String
    public var audience: Int
    public var firstSeen: Int64
    public var lastSeen: Int64
    public var repliesPassed: Int
    public var repliesStopped: Int
    public var repliesInWindow: Int
    public var deliveriesPrevented: Int
    public var distinctRepliers: Int
    /// Seconds since the epoch; nil when it never tripped.
    public var trippedAt: Int64?
    /// Seconds since the epoch; nil when reply-alls pass now.
    public var blockedUntil: Int64?
    public var storms: Int

    /// The view of one ledger summary.
    public init(_ s: ThreadSummary) {
        thread = s.key.description; rootID = s.rootID; subject = s.subject; author = s.author
        audience = s.audience; firstSeen = s.firstSeen.seconds; lastSeen = s.lastSeen.seconds
        repliesPassed = s.repliesPassed; repliesStopped = s.repliesStopped; repliesInWindow = s.repliesInWindow
        deliveriesPrevented = s.deliveriesPrevented; distinctRepliers = s.distinctRepliers
        trippedAt = s.trippedAt?.seconds; blockedUntil = s.blockedUntil?.seconds; storms = s.storms
    }
}

/// Daemon-wide figures for `breakwater stats`.
public struct StatsView: Codable, Sendable, Equatable {
    public var version: String
    public var startedAt: Int64
    public var uptimeSeconds: Int64
    public var messages: Int
    public var stormsTripped: Int
    /// Verdicts since start by `action/rule` (`reject/storm`, `accept/none`).
    public var verdicts: [String: Int]
    public var threads: Int
    public var indexedMessages: Int
    public var learnedSizes: Int
    public var activeStorms: Int
    public var deliveriesPrevented: Int
    public var evictions: UInt64
}

/// The storm report: every storm tripped (or blocked) since `since`, and the verdicts since start.
public struct ReportView: Codable, Sendable, Equatable {
    public var since: Int64
    public var now: Int64
    public var storms: [ThreadView]
    public var verdicts: [String: Int]
}

/// The daemon's answer: `ok` with at most one of the payloads, or `error` in words.
public struct ControlResponse: Codable, Sendable, Equatable {
    public var ok: Bool
    public var error: String?
    /// What the daemon did, in one line (release, freeze, reload).
    public var message: String?
    public var storms: [ThreadView]?
    public var thread: ThreadView?
    public var stats: StatsView?
    public var report: ReportView?

    /// A failure the admin can act on.
    public static func failure(_ text: String) -> ControlResponse { ControlResponse(ok: false, error: text) }

    public init(ok: Bool, error: String? = nil, message: String? = nil, storms: [ThreadView]? = nil,
                thread: ThreadView? = nil, stats: StatsView? = nil, report: ReportView? = nil) {
        self.ok = ok; self.error = error; self.message = message; self.storms = storms
        self.thread = thread; self.stats = stats; self.report = report
    }
}

/// The wire form of both: one line of JSON each way, bounded.
public enum ControlCodec {
    /// Longest request the daemon reads; a request is a verb and an id, far under this.
    public static let maxRequestBytes = 16 << 10
    /// Longest answer the CLI reads (a report over a large ledger can be long).
    public static let maxResponseBytes = 64 << 20

    /// The line for a value, newline included.
    public static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data(#"{"ok":false,"error":"cannot encode"}"#.utf8)
        return Array(data) + [UInt8(ascii: "\n")]
    }

    /// The value in a line; nil when it is not one.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) -> T? {
        try? JSONDecoder().decode(type, from: Data(bytes))
    }
}

import Foundation
package import StormCore

/// One request on the control socket: a single line of JSON, then the daemon answers with a
/// single line of JSON and closes. One request per connection keeps both sides trivial.
package struct ControlRequest: Codable, Sendable, Equatable {
    /// `storms`, `thread`, `release`, `freeze`, `stats`, `reload`, `report`.
    package var verb: String
    /// A 16-hex thread key or a Message-ID (thread, release, freeze).
    package var id: String?
    /// Why an admin released or froze a thread; logged.
    package var reason: String?
    /// How long a freeze lasts, or how far back a report or `storms` list reaches, in seconds.
    package var seconds: Int64?

    /// A request for `verb`.
    package init(verb: String, id: String? = nil, reason: String? = nil, seconds: Int64? = nil) {
        self.verb = verb; self.id = id; self.reason = reason; self.seconds = seconds
    }
}

/// A thread as the control socket shows it: `ThreadSummary` in plain JSON types.
package struct ThreadView: Codable, Sendable, Equatable {
    package var thread: String
    package var rootID: String
    package var subject: String
    package var author: String
    package var audience: Int
    package var firstSeen: Int64
    package var lastSeen: Int64
    package var repliesPassed: Int
    package var repliesStopped: Int
    package var repliesInWindow: Int
    package var deliveriesPrevented: Int
    package var distinctRepliers: Int
    /// Seconds since the epoch; nil when it never tripped.
    package var trippedAt: Int64?
    /// Seconds since the epoch; nil when reply-alls pass now.
    package var blockedUntil: Int64?
    package var storms: Int

    /// The view of one ledger summary.
    package init(_ s: ThreadSummary) {
        thread = s.key.description; rootID = s.rootID; subject = s.subject; author = s.author
        audience = s.audience; firstSeen = s.firstSeen.seconds; lastSeen = s.lastSeen.seconds
        repliesPassed = s.repliesPassed; repliesStopped = s.repliesStopped; repliesInWindow = s.repliesInWindow
        deliveriesPrevented = s.deliveriesPrevented; distinctRepliers = s.distinctRepliers
        trippedAt = s.trippedAt?.seconds; blockedUntil = s.blockedUntil?.seconds; storms = s.storms
    }
}

/// Daemon-wide figures for `breakwater stats`.
package struct StatsView: Codable, Sendable, Equatable {
    package var version: String
    package var startedAt: Int64
    package var uptimeSeconds: Int64
    package var messages: Int
    package var stormsTripped: Int
    /// Verdicts since start by `action/rule` (`reject/storm`, `accept/none`).
    package var verdicts: [String: Int]
    package var threads: Int
    package var indexedMessages: Int
    package var learnedSizes: Int
    package var activeStorms: Int
    package var deliveriesPrevented: Int
    package var evictions: UInt64
    /// The `shared_state` server, when one is configured (nil: this host's ledger only).
    package var sharedState: String?
    /// True while that server answers.
    package var sharedStateUp: Bool?
}

/// The storm report: every storm tripped (or blocked) since `since`, and the verdicts since start.
package struct ReportView: Codable, Sendable, Equatable {
    package var since: Int64
    package var now: Int64
    package var storms: [ThreadView]
    package var verdicts: [String: Int]
}

/// The daemon's answer: `ok` with at most one of the payloads, or `error` in words.
package struct ControlResponse: Codable, Sendable, Equatable {
    package var ok: Bool
    package var error: String?
    /// What the daemon did, in one line (release, freeze, reload).
    package var message: String?
    package var storms: [ThreadView]?
    package var thread: ThreadView?
    package var stats: StatsView?
    package var report: ReportView?

    /// A failure the admin can act on.
    package static func failure(_ text: String) -> ControlResponse { ControlResponse(ok: false, error: text) }

    package init(ok: Bool, error: String? = nil, message: String? = nil, storms: [ThreadView]? = nil,
                thread: ThreadView? = nil, stats: StatsView? = nil, report: ReportView? = nil) {
        self.ok = ok; self.error = error; self.message = message; self.storms = storms
        self.thread = thread; self.stats = stats; self.report = report
    }
}

/// The wire form of both: one line of JSON each way, bounded.
package enum ControlCodec {
    /// Longest request the daemon reads; a request is a verb and an id, far under this.
    package static let maxRequestBytes = 16 << 10
    /// Longest answer the CLI reads (a report over a large ledger can be long).
    package static let maxResponseBytes = 64 << 20

    /// The line for a value, newline included.
    package static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data(#"{"ok":false,"error":"cannot encode"}"#.utf8)
        return Array(data) + [UInt8(ascii: "\n")]
    }

    /// The value in a line; nil when it is not one.
    package static func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) -> T? {
        try? JSONDecoder().decode(type, from: Data(bytes))
    }
}

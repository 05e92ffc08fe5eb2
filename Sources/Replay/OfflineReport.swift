import StormCore
import Foundation

/// What an offline replay found: verdicts by action and rule, the storms that tripped, the
/// deliveries prevented, and how the files' expectations fared.
public struct OfflineReport: Sendable {
    /// One message's verdict, for listings and for comparing with a live run.
    public struct Entry: Sendable, Equatable, Codable {
        /// File and line of the message's mail line.
        public var file: String
        /// Line of the message's `mail` line.
        public var line: Int
        /// Session name (may be empty).
        public var session: String
        /// Virtual time, seconds since 1970.
        public var time: Int64
        /// accept, tag, defer, reject, hold, trim, or aborted.
        public var action = "accept"
        /// The reason (`direct-reply`, `hard-gate`, ...).
        public var reason = ""
        /// Mailboxes the message reaches.
        public var audience = 0
        /// Deliveries the verdict saved.
        public var deliveriesPrevented = 0
        /// The thread key, when the engine remembers the thread.
        public var thread: String?
        /// What a milter client would have seen, as `Observation.summary` words it.
        public var outcome = ""
    }

    /// A storm event (tripped, expired, ...) as it happened in virtual time.
    public struct StormLine: Sendable, Equatable, Codable {
        /// tripped, extended, expired, released, frozen.
        public var kind: String
        /// Thread key, 16 hex digits.
        public var thread: String
        /// Thread subject.
        public var subject: String
        /// When, seconds since 1970.
        public var at: Int64
        /// Blocked until, seconds since 1970.
        public var blockedUntil: Int64?
        /// Reply-alls in the window when it happened.
        public var repliesInWindow: Int
        /// The thread's audience.
        public var threadAudience: Int
    }

    /// Files replayed.
    public var files = 0
    /// Sessions replayed.
    public var sessions = 0
    /// Messages replayed.
    public var messages = 0
    /// The policy in words.
    public var policy = ""
    /// Messages by action (`accept`, `reject`, ..., `aborted`).
    public var actions: [String: Int] = [:]
    /// Stopped messages by rule (`hard-gate`, `storm`, ...).
    public var rules: [String: Int] = [:]
    /// Sum of the audiences of stopped messages.
    public var deliveriesPrevented = 0
    /// Storm events in the order they happened.
    public var storms: [StormLine] = []
    /// Threads blocked (or tripped) at the end of the run.
    public var stormsNow = 0
    /// Every message, in replay order.
    public var entries: [Entry] = []
    /// Virtual time of the first and last message.
    public var firstTime: Int64?
    /// Virtual time of the last message.
    public var lastTime: Int64?
    /// Expectations.
    public var tally = ExpectationTally()
    /// Problems that stopped the replay (parse errors, unreadable tables, a bad policy).
    public var problems: [String] = []
    /// Problems that did not (bad lines in a table).
    public var warnings: [String] = []

    /// An empty report.
    public init() {}

    /// A report of problems that stopped the replay before it began.
    init(problems: [String]) { self.problems = problems }

    mutating func record(_ v: Verdict, entry: inout Entry) {
        entry.action = v.action.rawValue
        entry.reason = v.reason.description
        entry.audience = v.figures.audience
        entry.deliveriesPrevented = v.figures.deliveriesPrevented
        entry.thread = v.thread?.description
        actions[v.action.rawValue, default: 0] += 1
        if let rule = v.rule { rules[rule.rawValue, default: 0] += 1 }
        deliveriesPrevented += v.figures.deliveriesPrevented
        for e in v.events {
            storms.append(StormLine(kind: e.kind.rawValue, thread: e.thread.description, subject: e.subject,
                                    at: e.at.seconds, blockedUntil: e.blockedUntil?.seconds,
                                    repliesInWindow: e.repliesInWindow, threadAudience: e.threadAudience))
        }
    }

    /// 0 when every expectation held, 1 when one failed, 2 when the replay could not run.
    public var exitStatus: Int32 { !problems.isEmpty ? 2 : tally.failed > 0 ? 1 : 0 }

    /// Stopped messages listed in the text report before "and N more".
    public static let listedStops = 20

    /// The report for people; its last line is exactly `N passed, N failed`.
    public var text: String {
        if !problems.isEmpty { return problems.joined(separator: "\n") + "\n" + tally.summaryLine + "\n" }
        var out: [String] = warnings.map { "warning: \($0)" }
        let span = (firstTime, lastTime)
        var head = "offline replay: \(files) file\(files == 1 ? "" : "s"), \(sessions) sessions, \(messages) messages"
        if let a = span.0, let b = span.1 {
            head += ", virtual time \(TimeText.timestampText(a)) to \(TimeText.timestampText(b)) (\(TimeText.durationText(b - a)))"
        }
        out.append(head)
        out.append("policy: \(policy)")
        let order = ["accept", "tag", "defer", "reject", "hold", "trim", "aborted"]
        out.append("verdicts: " + order.map { "\($0) \(actions[$0] ?? 0)" }.joined(separator: ", "))
        let ruleOrder = Rule.allCases.map(\.rawValue)
        let stopped = ruleOrder.compactMap { r in rules[r].map { "\(r) \($0)" } }
        out.append("stopped by rule: " + (stopped.isEmpty ? "none" : stopped.joined(separator: ", ")))
        out.append("deliveries prevented: \(deliveriesPrevented)")
        let origin = firstTime ?? 0
        if storms.isEmpty {
            out.append("storms: none tripped")
        } else {
            out.append("storms:")
            for s in storms {
                var line = "  \(TimeText.timestampText(s.at)) (+\(TimeText.durationText(s.at - origin))) \(s.kind) "
                    + "thread \(s.thread) \"\(s.subject)\" after \(s.repliesInWindow) reply-alls to \(s.threadAudience)"
                if let until = s.blockedUntil { line += ", blocked until \(TimeText.timestampText(until))" }
                out.append(line)
            }
        }
        let stops = entries.filter { !["accept", "aborted"].contains($0.action) }
        if !stops.isEmpty {
            out.append("stopped or changed messages:")
            for e in stops.prefix(Self.listedStops) {
                out.append("  \(e.file):\(e.line): +\(TimeText.durationText(e.time - origin)) \(e.action) (\(e.reason)), "
                           + "audience \(e.audience)")
            }
            if stops.count > Self.listedStops { out.append("  ... and \(stops.count - Self.listedStops) more") }
        }
        out += tally.failures.map(\.description)
        out.append(tally.summaryLine)
        return out.joined(separator: "\n") + "\n"
    }

    /// The same report for programs.
    public var json: String {
        struct Body: Encodable {
            var files, sessions, messages: Int
            var policy: String
            var actions, rules: [String: Int]
            var deliveriesPrevented: Int
            var storms: [StormLine]
            var messagesList: [Entry]
            var passed, failed: Int
            var failures: [String]
            var problems, warnings: [String]
            var exitStatus: Int32
            enum CodingKeys: String, CodingKey {
                case files, sessions, messages, policy, actions, rules, deliveriesPrevented, storms, passed, failed,
                     failures, problems, warnings, exitStatus
                case messagesList = "messageVerdicts"
            }
        }
        let body = Body(files: files, sessions: sessions, messages: messages, policy: policy, actions: actions,
                        rules: rules, deliveriesPrevented: deliveriesPrevented, storms: storms, messagesList: entries,
                        passed: tally.passed, failed: tally.failed, failures: tally.failures.map(\.description),
                        problems: problems, warnings: warnings, exitStatus: exitStatus)
        return JSONText.encode(body)
    }
}

/// Pretty, key-sorted JSON, one trailing newline.
enum JSONText {
    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

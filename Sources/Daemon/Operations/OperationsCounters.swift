import CoreMetrics
import Glibc
import Metrics
import Prometheus
import SharedState
package import StormCore
import Synchronization

// public (its members package) only while Bridge/FilterService.swift names it in public API.
/// What the daemon counts about its verdicts since start, for `breakwater stats` and the
/// Prometheus endpoint. One per process, fed by the per-message path; cheap enough for it.
///
/// The counts are kept twice on purpose: in plain numbers the control socket can read back,
/// and in swift-metrics counters that feed the Prometheus registry (which cannot be read back).
public final class OperationsCounters: Sendable {
    /// Verdicts by "action/rule" (rule `none` when no rule fired), messages judged, storms tripped.
    struct Tally: Sendable {
        var verdicts: [String: Int] = [:]
        var messages = 0
        var stormsTripped = 0
    }
    private let tally = Mutex(Tally())
    /// When the daemon started, wall-clock seconds.
    package let startedAt: Instant

    /// The Prometheus registry every Breakwater metric lives in.
    let registry = PrometheusCollectorRegistry()
    /// Problems (bad lines, unreadable files or maps) found when the audience tables last loaded.
    let tableProblems = Atomic<Int>(0)
    private let factory: PrometheusMetricsFactory
    private let messagesSeen: CoreMetrics.Counter
    private let tripped: CoreMetrics.Counter
    private let latency: CoreMetrics.Timer
    /// The swift-metrics counters per action and rule, made on first use.
    private let verdictCounters = Mutex<[String: CoreMetrics.Counter]>([:])
    /// Called once per storm that trips, off the decision's lock (the notifier hangs here).
    let onTrip = Mutex<(@Sendable (StormEvent) -> Void)?>(nil)

    /// Counters starting now.
    package init() {
        startedAt = Instant(seconds: Int64(time(nil)))
        var f = PrometheusMetricsFactory(registry: registry)
        // why: a decision takes microseconds; the default buckets start at 5 ms and would put
        // every decision in the first one.
        f.durationHistogramBuckets["breakwater_decision_seconds"] = [
            .microseconds(10), .microseconds(50), .microseconds(100), .microseconds(500),
            .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .seconds(1),
        ]
        factory = f
        messagesSeen = CoreMetrics.Counter(label: "breakwater_messages_total", factory: f)
        tripped = CoreMetrics.Counter(label: "breakwater_storms_tripped_total", factory: f)
        latency = CoreMetrics.Timer(label: "breakwater_decision_seconds", factory: f)
    }

    /// One message judged by the engine, taking `elapsed`.
    func decided(_ elapsed: Duration) {
        tally.withLock { $0.messages += 1 }
        messagesSeen.increment()
        let (seconds, attoseconds) = elapsed.components
        latency.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// One verdict carried out (after the bridge's own adjustments), with its storm events.
    func counted(_ verdict: Verdict) {
        let key = Self.key(verdict)
        let trips = verdict.events.filter { $0.kind == .tripped }
        tally.withLock {
            $0.verdicts[key, default: 0] += 1
            $0.stormsTripped += trips.count
        }
        counter(for: key, verdict).increment()
        guard !trips.isEmpty else { return }
        tripped.increment(by: trips.count)
        if let notify = onTrip.withLock({ $0 }) { for e in trips { notify(e) } }
    }

    /// Verdicts by action and rule, messages judged and storms tripped since start.
    package var verdicts: [String: Int] { tally.withLock { $0.verdicts } }
    /// Messages the engine judged since start.
    package var messages: Int { tally.withLock { $0.messages } }
    /// Storms tripped since start.
    package var stormsTripped: Int { tally.withLock { $0.stormsTripped } }

    /// `reject/storm`, `accept/none`: how a verdict is filed.
    static func key(_ v: Verdict) -> String { "\(v.action.rawValue)/\(v.rule?.rawValue ?? "none")" }

    private func counter(for key: String, _ v: Verdict) -> CoreMetrics.Counter {
        verdictCounters.withLock { made in
            if let c = made[key] { return c }
            let c = CoreMetrics.Counter(label: "breakwater_verdicts_total",
                                        dimensions: [("action", v.action.rawValue), ("rule", v.rule?.rawValue ?? "none")],
                                        factory: factory)
            made[key] = c
            return c
        }
    }

    /// The gauges read from the ledger at scrape time, and the text of every metric.
    func exposition(ledger: ThreadLedger, sharedState: SharedThreadStore? = nil, now: Instant, snapshotAge: Int64?) -> [UInt8] {
        let t = ledger.totals(now: now)
        var gauges: [(String, String, Double)] = [
            ("breakwater_active_storms", "Threads whose reply-alls are blocked now.", Double(t.activeStorms)),
            ("breakwater_threads_tracked", "Large-audience threads the ledger remembers.", Double(t.threads)),
            ("breakwater_deliveries_prevented", "Deliveries the stopped reply-alls would have made, over remembered threads.",
             Double(t.deliveriesPrevented)),
            ("breakwater_uptime_seconds", "Seconds since the daemon started.", Double(now.seconds - startedAt.seconds)),
            ("breakwater_table_problems", "Problems found in the audience tables at their last load.",
             Double(tableProblems.load(ordering: .relaxed))),
            // why -1: "no snapshot yet" must not look like a fresh one to an alert rule.
            ("breakwater_snapshot_age_seconds", "Seconds since the last good ledger snapshot; -1 when there is none.",
             Double(snapshotAge ?? -1)),
        ]
        if let shared = sharedState {
            let calls = shared.callCounts
            gauges += [
                ("breakwater_shared_state_up", "1 while the shared_state server answers, 0 while this host judges on its own ledger.",
                 shared.isUp ? 1 : 0),
                ("breakwater_shared_state_calls", "Thread-state calls the shared_state server answered since start.", Double(calls.shared)),
                ("breakwater_shared_state_local_calls", "Thread-state calls answered from this host's ledger because the server was away.",
                 Double(calls.local)),
            ]
        }
        for (name, help, value) in gauges {
            registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help)).set(value)
        }
        return registry.emitToBuffer()
    }
}

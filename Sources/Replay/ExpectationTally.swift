/// One expectation that did not hold, with enough to find it in the file.
public struct ExpectationFailure: Sendable, Equatable, CustomStringConvertible {
    /// The `expect` line.
    public var source: SourceLine
    /// What was expected.
    public var expected: Expectation.Kind
    /// What happened instead.
    public var got: String
    /// `session NAME` or `session at line N`.
    public var session: String
    /// `message 2 (line 40)`.
    public var message: String

    /// `file:line: expected reject 550, got accept (session x, message 2 (line 40))`.
    public var description: String {
        "\(source): expected \(expected), got \(got) (\(session), \(message))"
    }
}

/// Counts of expectations that held and failed, and the failures themselves (the first
/// `maxKept` of them, so a broken run of a million messages still prints a bounded report).
public struct ExpectationTally: Sendable, Equatable {
    /// Expectations that held.
    public var passed = 0
    /// Expectations that did not.
    public var failed = 0
    /// The first failures, in the order they were found.
    public var failures: [ExpectationFailure] = []
    /// Failures kept in `failures`.
    public static let maxKept = 1_000

    /// An empty tally.
    public init() {}

    /// Checks every expectation of a message against what happened. `any-order` expectations
    /// wait in `pending` for `settle()`, which judges their pools once every message is in.
    public mutating func check(_ message: ScriptedMessage, index: Int, in session: Session, observed: Observation) {
        let label = session.name.isEmpty ? "session at line \(session.source.line)" : "session \(session.name)"
        let place = "message \(index + 1) (line \(message.source.line))"
        for e in message.expectations {
            if case let .anyOrder(pool, kind) = e.kind {
                pending.append(PoolEntry(pool: pool, expected: kind, source: e.source, session: label, message: place,
                                         observed: observed))
                continue
            }
            guard let got = observed.check(e.kind) else {
                passed += 1
                continue
            }
            record(ExpectationFailure(source: e.source, expected: e.kind, got: got, session: label, message: place))
        }
    }

    private mutating func record(_ failure: ExpectationFailure) {
        failed += 1
        if failures.count < Self.maxKept { failures.append(failure) }
    }

    /// One message's `any-order` expectation, waiting for its pool to be complete.
    struct PoolEntry: Sendable, Equatable {
        var pool: String
        var expected: Expectation.Kind
        var source: SourceLine
        var session: String
        var message: String
        var observed: Observation
    }

    /// `any-order` expectations checked but not yet judged (see `settle()`).
    var pending: [PoolEntry] = []

    /// Judges every `any-order` pool now that all its messages are in: each expectation is one
    /// slot, and each message fills at most one slot its outcome holds for, whatever the order
    /// of arrival. Filled slots pass; every message left without a slot fails, reported against
    /// a slot left empty, with the pool's counts. (Slots are filled greedily, messages that fit
    /// the fewest slots first: exact whenever a message fits one slot kind, as accept and
    /// reject are.) Idempotent; the live and offline replays call it at the end of a run.
    public mutating func settle() {
        var pools: [String: [PoolEntry]] = [:]
        var order: [String] = []
        for e in pending {
            if pools[e.pool] == nil { order.append(e.pool) }
            pools[e.pool, default: []].append(e)
        }
        pending = []
        for pool in order { settle(pool, pools[pool]!) }
    }

    private mutating func settle(_ pool: String, _ entries: [PoolEntry]) {
        var kinds: [Expectation.Kind] = []
        var free: [Int] = []
        for e in entries {
            if let k = kinds.firstIndex(of: e.expected) { free[k] += 1 } else { kinds.append(e.expected); free.append(1) }
        }
        let expected = free
        let fits = entries.map { e in kinds.indices.filter { e.observed.check(kinds[$0]) == nil } }
        var unmatched: [Int] = []
        for i in entries.indices.sorted(by: { (fits[$0].count, $0) < (fits[$1].count, $1) }) {
            if let k = fits[i].filter({ free[$0] > 0 }).max(by: { free[$0] < free[$1] }) {
                free[k] -= 1
                passed += 1
            } else {
                unmatched.append(i)
            }
        }
        guard !unmatched.isEmpty else { return }
        let counts = kinds.indices.map { k in
            "\(kinds[k]) expected \(expected[k]), got \(fits.filter { $0.contains(k) }.count)"
        }.sorted().joined(separator: "; ")
        var empty = kinds.indices.flatMap { k in Array(repeating: k, count: free[k]) }[...]
        for i in unmatched.sorted() {
            let e = entries[i]
            let k = empty.popFirst() ?? kinds.firstIndex(of: e.expected)!
            let got = e.observed.check(kinds[k]) ?? e.observed.summary
            record(ExpectationFailure(source: e.source, expected: .anyOrder(pool: pool, kinds[k]),
                                      got: "\(got) (pool \(pool): \(counts))", session: e.session, message: e.message))
        }
    }

    /// Adds another tally (from another worker).
    public mutating func merge(_ other: ExpectationTally) {
        passed += other.passed
        failed += other.failed
        failures += other.failures.prefix(Self.maxKept - failures.count)
        pending += other.pending
    }

    /// The report's last line, exactly: `N passed, N failed`.
    public var summaryLine: String { "\(passed) passed, \(failed) failed" }
}

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

    /// Checks every expectation of a message against what happened.
    public mutating func check(_ message: ScriptedMessage, index: Int, in session: Session, observed: Observation) {
        for e in message.expectations {
            guard let got = observed.check(e.kind) else {
                passed += 1
                continue
            }
            failed += 1
            if failures.count < Self.maxKept {
                let label = session.name.isEmpty ? "session at line \(session.source.line)" : "session \(session.name)"
                failures.append(ExpectationFailure(source: e.source, expected: e.kind, got: got, session: label,
                                                   message: "message \(index + 1) (line \(message.source.line))"))
            }
        }
    }

    /// Adds another tally (from another worker).
    public mutating func merge(_ other: ExpectationTally) {
        passed += other.passed
        failed += other.failed
        failures += other.failures.prefix(Self.maxKept - failures.count)
    }

    /// The report's last line, exactly: `N passed, N failed`.
    public var summaryLine: String { "\(passed) passed, \(failed) failed" }
}

/// Counts of the hostile run: sessions per abuse kind and outcome, answers, checks.
struct HostileTally: Sendable {
    var counts = [[Int]](repeating: [Int](repeating: 0, count: SessionOutcome.allCases.count),
                         count: AbuseKind.allCases.count)
    var sessions = 0
    var bytesSent = 0
    var answers = 0
    var badReplies = 0
    var wrongVerdicts = 0
    /// Sessions of a non-held kind that hit our timeout: the daemon neither answered nor closed.
    var hangs = 0
    var checksPassed = 0
    var checksFailed = 0
    /// The first few problems, each with its session index (replay with --replay INDEX).
    var problems: [String] = []
    var checkProblems: [String] = []
    /// Seconds held until the daemon closed, per held kind (stall, idle).
    var heldUntilDropped: [Int: [Double]] = [:]
    var connectErrnos: [Int32: Int] = [:]
    /// Sessions drawn again because the first draw carried an odd macro frame (per kind).
    var avoided = [Int](repeating: 0, count: AbuseKind.allCases.count)

    mutating func add(_ plan: SessionPlan, _ result: SessionResult, index: Int) {
        sessions += 1
        counts[plan.kind.rawValue][result.outcome.rawValue] += 1
        if plan.rerolls > 0 { avoided[plan.kind.rawValue] += 1 }
        bytesSent += plan.bytes.count
        answers += result.answers
        badReplies += result.badReplies
        if !result.wrong.isEmpty {
            wrongVerdicts += 1
            note("session \(index) (\(plan.kind.name): \(plan.detail)): \(result.wrong.prefix(3).joined(separator: "; "))")
        }
        if result.badReplies > 0 {
            note("session \(index) (\(plan.kind.name)): \(result.badReplies) undecodable frames from the daemon")
        }
        if result.outcome == .timeout {
            hangs += 1
            note("session \(index) (\(plan.kind.name): \(plan.detail)): no answer and no close for the io timeout "
                + "(\(result.answers) of \(plan.owed.count) answers)")
        }
        if result.outcome == .connectFailed {
            connectErrnos[result.connectErrno, default: 0] += 1
            note("session \(index): connect failed, errno \(result.connectErrno)")
        }
        if result.outcome == .dropped, case .hold = plan.ending {
            heldUntilDropped[plan.kind.rawValue, default: []].append(result.heldSeconds)
        }
    }

    private mutating func note(_ text: String) {
        if problems.count < 20 { problems.append(text) }
    }

    mutating func merge(_ other: HostileTally) {
        for k in counts.indices {
            for o in counts[k].indices { counts[k][o] += other.counts[k][o] }
        }
        sessions += other.sessions
        bytesSent += other.bytesSent
        answers += other.answers
        badReplies += other.badReplies
        wrongVerdicts += other.wrongVerdicts
        hangs += other.hangs
        checksPassed += other.checksPassed
        checksFailed += other.checksFailed
        problems += other.problems.prefix(max(0, 20 - problems.count))
        checkProblems += other.checkProblems.prefix(max(0, 20 - checkProblems.count))
        for (k, v) in other.heldUntilDropped { heldUntilDropped[k, default: []] += v }
        for (k, v) in other.connectErrnos { connectErrnos[k, default: 0] += v }
        for k in avoided.indices { avoided[k] += other.avoided[k] }
    }

    func total(_ outcome: SessionOutcome) -> Int { counts.reduce(0) { $0 + $1[outcome.rawValue] } }
}

/// The final summary, and the verdict of the run.
struct HostileReport {
    let settings: HostileFlood.Settings
    let tally: HostileTally
    let elapsed: Double
    let baseline: ProcessProbe.Sample
    let end: ProcessProbe.Sample?
    let alive: Bool
    let samples: [HostileSample]
    let died: Bool

    func print() -> Int32 {
        let t = tally
        let out = LabOutput.line
        out("")
        out("hostile: \(t.sessions) sessions in \(TrafficFormat.fixed(elapsed, 1)) s = \(Int(Double(t.sessions) / max(elapsed, 0.001))) sessions/s, "
            + "\(TrafficFormat.fixed(Double(t.bytesSent) / 1_048_576, 1)) MiB sent, \(t.answers) answers received")
        let outcomes = SessionOutcome.allCases
        out("")
        out("| abuse | sessions | " + outcomes.map(\.name).joined(separator: " | ") + " |")
        out("|---|---:|" + outcomes.map { _ in "---:|" }.joined())
        for kind in AbuseKind.allCases {
            let row = t.counts[kind.rawValue]
            let n = row.reduce(0, +)
            guard n > 0 else { continue }
            out("| \(kind.name) | \(n) | " + row.map(String.init).joined(separator: " | ") + " |")
        }
        out("| all | \(t.sessions) | " + outcomes.map { String(t.total($0)) }.joined(separator: " | ") + " |")
        out("")
        let avoided = t.avoided.reduce(0, +)
        if settings.avoidOddMacros {
            let kinds = AbuseKind.allCases.filter { t.avoided[$0.rawValue] > 0 }.map { "\($0.name) \(t.avoided[$0.rawValue])" }
            out("hostile: --avoid-odd-macros: \(avoided) sessions drawn again because the first draw carried a macro frame "
                + "with an odd number of strings (\(kinds.joined(separator: ", ")))")
        }
        for (kind, seconds) in t.heldUntilDropped.sorted(by: { $0.key < $1.key }) where !seconds.isEmpty {
            let sorted = seconds.sorted()
            out("hostile: \(AbuseKind(rawValue: kind)!.name): dropped by the daemon after \(TrafficFormat.fixed(sorted[sorted.count / 2], 2)) s "
                + "(median of \(sorted.count); min \(TrafficFormat.fixed(sorted[0], 2)), max \(TrafficFormat.fixed(sorted[sorted.count - 1], 2)))")
        }
        let peakFDs = max(samples.map(\.fds).max() ?? 0, baseline.fds)
        let peakRSS = max(samples.map(\.hwmKiB).max() ?? 0, end?.hwmKiB ?? 0)
        out("hostile: RSS over time (seconds, sessions, VmRSS KiB, VmHWM KiB, fds, threads):")
        let step = max(1, samples.count / 20)
        for (i, x) in samples.enumerated() where i % step == 0 || i == samples.count - 1 {
            out("  \(TrafficFormat.fixed(x.seconds, 0))\t\(x.sessions)\t\(x.rssKiB)\t\(x.hwmKiB)\t\(x.fds)\t\(x.threads)")
        }
        let fdsBack = end.map { $0.fds <= baseline.fds + settings.fdSlack } ?? false
        out("hostile: checks \(t.checksPassed) passed, \(t.checksFailed) failed; wrong verdicts \(t.wrongVerdicts); "
            + "undecodable replies \(t.badReplies); hangs \(t.hangs); connect failures \(t.total(.connectFailed))")
        out("hostile: daemon \(alive ? "alive" : "DEAD"); peak RSS (VmHWM) \(peakRSS) KiB; VmRSS \(baseline.rssKiB) KiB at the baseline, "
            + "\(end.map { "\($0.rssKiB)" } ?? "?") KiB at the end; fds \(baseline.fds) baseline, \(peakFDs) peak, "
            + "\(end.map { "\($0.fds)" } ?? "?") at the end (\(fdsBack ? "back" : "NOT back") within 30 s)")
        for p in t.checkProblems.prefix(10) { out("hostile: check failed: \(p)") }
        for p in t.problems.prefix(20) { out("hostile: problem: \(p)") }

        var failures: [String] = []
        if t.checksFailed > 0 { failures.append("\(t.checksFailed) checks failed") }
        if t.wrongVerdicts > 0 { failures.append("\(t.wrongVerdicts) sessions with wrong answers") }
        if t.badReplies > 0 { failures.append("\(t.badReplies) undecodable replies") }
        if t.hangs > 0 { failures.append("\(t.hangs) hangs") }
        if t.total(.connectFailed) > 0 { failures.append("\(t.total(.connectFailed)) connect failures") }
        if !alive || died { failures.append("the daemon died") }
        if !fdsBack { failures.append("fds not back to the baseline") }
        if t.sessions < settings.sessions { failures.append("only \(t.sessions) of \(settings.sessions) sessions ran") }
        out("hostile-result sessions=\(t.sessions) elapsed_s=\(TrafficFormat.fixed(elapsed, 1)) rate=\(Int(Double(t.sessions) / max(elapsed, 0.001))) "
            + "checks_passed=\(t.checksPassed) checks_failed=\(t.checksFailed) wrong_verdicts=\(t.wrongVerdicts) "
            + "bad_replies=\(t.badReplies) hangs=\(t.hangs) connect_failed=\(t.total(.connectFailed)) "
            + outcomes.map { "\($0.name)=\(t.total($0))" }.joined(separator: " ")
            + " daemon_alive=\(alive && !died ? "yes" : "no") peak_rss_kib=\(peakRSS) fds_baseline=\(baseline.fds) "
            + "avoided_odd_macros=\(avoided) fds_peak=\(peakFDs) fds_end=\(end.map { "\($0.fds)" } ?? "-1") fds_back=\(fdsBack ? "yes" : "no") "
            + "status=\(failures.isEmpty ? "pass" : "fail")")
        if failures.isEmpty {
            out("hostile: PASS")
            return 0
        }
        out("hostile: FAIL: " + failures.joined(separator: "; "))
        return 1
    }
}

import BreakwaterConfig
public import StormCore

/// Runs session files through the storm engine in process, with virtual time taken from the
/// files' offsets: no daemon, no sockets, a day of traffic in seconds.
public enum OfflineReplay {
    /// What the offline command needs: files, audience tables, and a policy built elsewhere
    /// (the defaults with command-line knobs, or the daemon's configuration).
    public struct Options: Sendable {
        /// Session file paths.
        public var files: [String]
        /// Audience tables (size files, virtual and aliases tables).
        public var audienceSources: [AudienceSource]
        /// How table addresses are matched.
        public var audienceOptions: AudienceOptions
        /// The policy to judge with.
        public var policy: StormPolicy
        /// Tables already loaded elsewhere (the daemon's loader, for `--config`), with their
        /// problems as warnings; when set, `audienceSources` is not read.
        public var preloaded: (directory: AudienceDirectory, warnings: [String])?

        /// Options for the given files and policy.
        public init(files: [String], audienceSources: [AudienceSource] = [],
                    audienceOptions: AudienceOptions = AudienceOptions(), policy: StormPolicy = StormPolicy()) {
            self.files = files
            self.audienceSources = audienceSources
            self.audienceOptions = audienceOptions
            self.policy = policy
        }
    }

    /// Loads the files and tables and replays; load problems give exit status 2.
    public static func run(_ options: Options) -> OfflineReport {
        let files: [SessionFile]
        do { files = try SessionParser.load(paths: options.files) } catch {
            return OfflineReport(problems: error.problems.map(\.description))
        }
        let policyProblems = options.policy.problems()
        guard policyProblems.isEmpty else { return OfflineReport(problems: policyProblems) }
        if let preloaded = options.preloaded {
            var report = run(files, policy: options.policy, directory: preloaded.directory)
            report.warnings = preloaded.warnings
            return report
        }
        let (directory, tableProblems) = AudienceTables.load(options.audienceSources, options: options.audienceOptions)
        // why: an unreadable table (line 0) would silently shrink every audience; a bad line
        // in a big table is worth a warning, not a refusal.
        let fatal = tableProblems.filter { $0.line == 0 }
        guard fatal.isEmpty else { return OfflineReport(problems: fatal.map(\.description)) }
        var report = run(files, policy: options.policy, directory: directory)
        report.warnings = tableProblems.map(\.description)
        return report
    }

    /// Replays parsed files on a fresh engine: every message in time order (ties in file order).
    public static func run(_ files: [SessionFile], policy: StormPolicy, directory: AudienceDirectory) -> OfflineReport {
        let engine = StormEngine(policy: policy, directory: directory, ledger: ThreadLedger())
        var report = OfflineReport()
        report.policy = PolicySettings.summary(policy)
        report.files = files.count

        struct Step { var time: Int64; var file: Int; var session: Int; var message: Int }
        var steps: [Step] = []
        for (f, file) in files.enumerated() {
            for (s, session) in file.sessions.enumerated() {
                report.sessions += 1
                for (m, offset) in ReplayTiming.offsets(of: session).enumerated() {
                    steps.append(Step(time: (file.start ?? 0) + offset, file: f, session: s, message: m))
                }
            }
        }
        // why stable: messages at the same second keep the order the files give them.
        let order = steps.indices.sorted { (steps[$0].time, $0) < (steps[$1].time, $1) }
        for i in order {
            let step = steps[i]
            let file = files[step.file]
            let session = file.sessions[step.session]
            let message = session.messages[step.message]
            let observed: Observation
            var entry = OfflineReport.Entry(file: file.name, line: message.source.line,
                                            session: session.name, time: step.time)
            switch message.ending {
            case .abort:
                // why: the daemon judges only a message that reaches its end.
                observed = .abortedUndecided
                entry.action = "aborted"
            case .endOfMessage:
                let verdict = engine.decide(EngineBridge.facts(for: message, in: session), at: Instant(seconds: step.time))
                observed = .decided(EngineBridge.outcome(of: verdict))
                report.record(verdict, entry: &entry)
            }
            entry.outcome = observed.summary
            report.tally.check(message, index: step.message, in: session, observed: observed)
            report.messages += 1
            report.entries.append(entry)
        }
        report.tally.settle()
        report.firstTime = order.first.map { steps[$0].time }
        report.lastTime = order.last.map { steps[$0].time }
        report.stormsNow = engine.ledger.storms(now: Instant(seconds: report.lastTime ?? 0)).count
        return report
    }
}

/// When each message of a session happens, in seconds after its file's start: its own `at`,
/// else the previous message's time, else 0.
public enum ReplayTiming {
    /// One offset per message.
    public static func offsets(of session: Session) -> [Int64] {
        var last: Int64 = 0
        return session.messages.map { m in
            last = m.at ?? last
            return last
        }
    }
}

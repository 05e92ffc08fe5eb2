import Daemon

/// The human forms of the admin verbs' answers.
enum AdminText {
    /// One row per storm.
    static func stormTable(_ storms: [ThreadView]) -> String {
        guard !storms.isEmpty else { return "no storms" }
        var rows = [["THREAD", "SUBJECT", "AUTHOR", "AUDIENCE", "PASSED", "STOPPED", "PREVENTED", "TRIPPED", "BLOCKED UNTIL"]]
        for s in storms {
            rows.append([s.thread, OperationsText.cell(s.subject, 40), OperationsText.cell(s.author, 30), "\(s.audience)",
                         "\(s.repliesPassed)", "\(s.repliesStopped)", "\(s.deliveriesPrevented)",
                         s.trippedAt.map(OperationsText.time) ?? "-", s.blockedUntil.map(OperationsText.time) ?? "-"])
        }
        return OperationsText.table(rows)
    }

    /// One thread, a field a line.
    static func detail(_ t: ThreadView) -> String {
        OperationsText.table([
            ["thread:", t.thread], ["root message-id:", t.rootID.isEmpty ? "-" : "<\(t.rootID)>"],
            ["subject:", t.subject], ["author:", t.author.isEmpty ? "-" : t.author], ["audience:", "\(t.audience)"],
            ["first seen:", OperationsText.time(t.firstSeen)], ["last seen:", OperationsText.time(t.lastSeen)],
            ["reply-alls passed:", "\(t.repliesPassed)"], ["reply-alls stopped:", "\(t.repliesStopped)"],
            ["in current window:", "\(t.repliesInWindow)"], ["distinct repliers:", "\(t.distinctRepliers)"],
            ["deliveries prevented:", "\(t.deliveriesPrevented)"], ["storms:", "\(t.storms)"],
            ["tripped at:", t.trippedAt.map(OperationsText.time) ?? "never"],
            ["blocked until:", t.blockedUntil.map(OperationsText.time) ?? "not blocked"],
        ])
    }

    static func stats(_ s: StatsView) -> String {
        var rows = [["version:", s.version], ["up since:", "\(OperationsText.time(s.startedAt)) (\(OperationsText.duration(s.uptimeSeconds)))"],
                    ["messages judged:", "\(s.messages)"], ["storms tripped:", "\(s.stormsTripped)"],
                    ["storms blocked now:", "\(s.activeStorms)"], ["threads tracked:", "\(s.threads)"],
                    ["message-ids indexed:", "\(s.indexedMessages)"], ["learned list sizes:", "\(s.learnedSizes)"],
                    ["deliveries prevented:", "\(s.deliveriesPrevented)"], ["threads evicted:", "\(s.evictions)"]]
        rows.append(["shared state:", s.sharedState.map { "\($0) " + (s.sharedStateUp == true ? "up" : "down") } ?? "off (this host's ledger)"])
        for (key, n) in s.verdicts.sorted(by: { $0.key < $1.key }) { rows.append(["verdicts \(key):", "\(n)"]) }
        return OperationsText.table(rows)
    }

    /// The storm report: one row per storm, then the verdict totals.
    static func report(_ r: ReportView) -> String {
        var out = "Storm report \(OperationsText.time(r.since)) to \(OperationsText.time(r.now))\n\n"
        if r.storms.isEmpty {
            out += "no storms\n"
        } else {
            var rows = [["SUBJECT", "AUTHOR", "START", "REPLY-ALLS", "BLOCKED", "PREVENTED", "ROOT MESSAGE-ID"]]
            for s in r.storms {
                rows.append([OperationsText.cell(s.subject, 40), OperationsText.cell(s.author, 30), OperationsText.time(s.firstSeen),
                             "\(s.repliesPassed + s.repliesStopped)", "\(s.repliesStopped)", "\(s.deliveriesPrevented)",
                             s.rootID.isEmpty ? "-" : "<\(s.rootID)>"])
            }
            out += OperationsText.table(rows) + "\n"
        }
        let stopped = r.verdicts.filter { !$0.key.hasPrefix("accept/") }.values.reduce(0, +)
        out += "\n\(r.storms.count) storm\(r.storms.count == 1 ? "" : "s"); since the daemon started: "
            + "\(r.verdicts.values.reduce(0, +)) verdicts, \(stopped) not plain accepts\n"
        for (key, n) in r.verdicts.sorted(by: { $0.key < $1.key }) { out += "  \(key): \(n)\n" }
        return String(out.dropLast())
    }
}

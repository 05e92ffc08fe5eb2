import Daemon
import Foundation
import Glibc
import MilterWire
import StormCore
import TestSupport
import Testing

/// Issue #8: what an admin sees and does while a storm runs. The real daemon on a unix milter
/// socket, the real `breakwater` admin verbs on its control socket, a real HTTP scrape.
@Suite struct OperationsTests {
    /// A daemon with its control socket, metrics endpoint and notify script in its folder.
    struct Setup {
        let daemon: TestDaemon
        let cli: AdminCLI
        var metricsPort: UInt16 { daemon.metricsPort ?? 0 }

        init(_ settings: String = "") throws {
            let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-ops")
            // why a script: it proves the command ran without a shell and saw the storm's facts.
            let script = "\(folder)/notify.sh"
            // One file per run, renamed into place whole, so runs at the same moment cannot interleave.
            try "#!/bin/sh\nenv | grep '^BREAKWATER_' | sort > \(folder)/.run.$$ && mv \(folder)/.run.$$ \(folder)/notified.$$\n"
                .write(toFile: script, atomically: true, encoding: .utf8)
            chmod(script, 0o755)
            daemon = try TestDaemon("""
                notify_command = \(script)
                storm_reply = 550 5.7.1 Storm
                \(settings)
                """, folder: folder, controlSocket: true, metrics: true)
            cli = AdminCLI(folder: folder, socket: "\(folder)/control.sock")
        }

        /// The root message, then `count` reply-alls from user1, user2...; what the MTA was told.
        func storm(root: String, replies count: Int, from first: Int = 1) throws -> [MessageResult] {
            let client = try daemon.client()
            defer { client.quit() }
            if first == 1 { _ = try client.send(.announcement(root: root)) }
            return try (first..<(first + count)).map { try client.send(.replyAll($0, root: root)) }
        }

        /// The BREAKWATER_* lines of each run of the notify script.
        func notifications() -> [[String]] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: daemon.folder)) ?? []
            return names.filter { $0.hasPrefix("notified.") }.map { name in
                ((try? String(contentsOfFile: "\(daemon.folder)/\(name)", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            }
        }
    }

    private func withSetup(_ settings: String = "", _ body: (Setup) throws -> Void) throws {
        let setup = try Setup(settings)
        defer { setup.daemon.finish() }
        try body(setup)
    }

    @Test func aStormShowsUpInStormsStatsAndTheMetricsScrape() throws {
        try withSetup { s in
            let root = "root-ops@example.test"
            let results = try s.storm(root: root, replies: 6)
            let passed = results.filter(\.passed).count, stopped = results.count - passed
            #expect(results.prefix(2).allSatisfy { $0.passed }, "\(results)")
            #expect(stopped >= 1 && !results.last!.passed, "\(results)\n\(s.daemon.log)")

            let key = MessageKey(root).description
            let table = try s.cli.run(["storms"])
            #expect(table.status == 0 && table.output.contains(key) && table.output.contains("Welcome"), "\(table.output)")

            let storms = try s.cli.json([ThreadView].self, ["storms"])
            let storm = try #require(storms.first { $0.thread == key }, "\(storms)")
            #expect(storm.repliesPassed == passed && storm.repliesStopped == stopped)
            #expect(storm.rootID == root && storm.subject == "Welcome" && storm.author == "boss@example.test")
            #expect(storm.blockedUntil != nil && storm.trippedAt != nil && storm.deliveriesPrevented > 0)

            let detail = try s.cli.json(ThreadView.self, ["thread", "<\(root)>"])
            #expect(detail == storm)

            let stats = try s.cli.json(StatsView.self, ["stats"])
            #expect(stats.verdicts["reject/storm"] == stopped, "\(stats)")
            #expect(stats.messages == results.count + 1 && stats.stormsTripped == 1 && stats.activeStorms == 1, "\(stats)")

            let scrape = try MetricsScrape.get(port: s.metricsPort)
            #expect(scrape.status.hasSuffix("200 OK"), "\(scrape.status)")
            #expect(MetricsScrape.value(#"breakwater_verdicts_total{action="reject",rule="storm"}"#, in: scrape.body)
                    == Double(stopped), "\(scrape.body)")
            #expect(MetricsScrape.value("breakwater_messages_total", in: scrape.body) == Double(results.count + 1))
            #expect(MetricsScrape.value("breakwater_storms_tripped_total", in: scrape.body) == 1)
            #expect(MetricsScrape.value("breakwater_active_storms", in: scrape.body) == 1)
            #expect(MetricsScrape.value("breakwater_decision_seconds_count", in: scrape.body) == Double(results.count + 1))
            #expect(MetricsScrape.value("breakwater_table_problems", in: scrape.body) == 0)
            #expect(try MetricsScrape.get(port: s.metricsPort, path: "/").status.hasSuffix("404 Not Found"))

            let report = try s.cli.run(["report", "--since", "1h"])
            #expect(report.status == 0 && report.output.contains("<\(root)>") && report.output.contains("boss@example.test"),
                    "\(report.output)")
        }
    }

    @Test func releaseLetsTheNextReplyAllThroughAndIsLoggedWithWhoAsked() throws {
        try withSetup { s in
            let root = "root-release@example.test"
            let stormed = try s.storm(root: root, replies: 3)
            #expect(!stormed.last!.passed, "\(stormed)\n\(s.daemon.log)")

            let released = try s.cli.run(["release", MessageKey(root).description, "--reason", "ticket 42"])
            #expect(released.status == 0 && released.output.contains("released thread"), "\(released.output)")
            #expect(s.daemon.waitForLog("storm released thread=\(MessageKey(root))"), "\(s.daemon.log)")
            #expect(s.daemon.log.contains("by=uid=\(getuid()) reason=\"ticket 42\""), "\(s.daemon.log)")

            let after = try s.storm(root: root, replies: 1, from: 10)
            #expect(after.allSatisfy { $0.passed }, "\(after)\n\(s.daemon.log)")

            let again = try s.cli.run(["release", MessageKey(root).description])
            #expect(again.status == 1 && again.output.contains("is not blocked"), "\(again.output)")
            let unknown = try s.cli.run(["release", "<nobody@example.test>"])
            #expect(unknown.status == 1 && unknown.output.contains("no thread"), "\(unknown.output)")
        }
    }

    @Test func freezeStopsTheNextReplyAllInAQuietThread() throws {
        try withSetup { s in
            let root = "root-freeze@example.test"
            let before = try s.storm(root: root, replies: 1)
            #expect(before.allSatisfy { $0.passed }, "\(before)")

            let frozen = try s.cli.run(["freeze", "<\(root)>", "--for", "2h", "--reason", "all-staff thread"])
            #expect(frozen.status == 0 && frozen.output.contains("froze thread \(MessageKey(root))"), "\(frozen.output)")
            let after = try s.storm(root: root, replies: 1, from: 2)
            #expect(!after[0].passed, "\(after)\n\(s.daemon.log)")

            let view = try s.cli.json(ThreadView.self, ["thread", MessageKey(root).description])
            let until = try #require(view.blockedUntil)
            #expect(until - view.trippedAt! == 7_200 && view.repliesStopped == 1, "\(view)")
            // why: a storm frozen by hand is an admin's act, not a trip; nobody is notified.
            #expect(s.notifications().isEmpty)
        }
    }

    @Test func theNotifyCommandRunsOncePerStormWithItsFacts() throws {
        try withSetup { s in
            let first = "root-notify-a@example.test", second = "root-notify-b@example.test"
            _ = try s.storm(root: first, replies: 5)
            _ = try s.storm(root: second, replies: 4)
            let two = TestEnvironment.waitUntil(seconds: 20) { s.notifications().count >= 2 }
            #expect(two, "\(s.notifications())\n\(s.daemon.log)")
            // why more mail and a stats round trip: a storm's later stopped replies must not notify again.
            _ = try s.storm(root: first, replies: 2, from: 20)
            #expect(try s.cli.json(StatsView.self, ["stats"]).stormsTripped == 2)
            let runs = s.notifications()
            #expect(runs.count == 2, "\(runs)\n\(s.daemon.log)")
            let threads = Set(runs.compactMap { $0.first { $0.hasPrefix("BREAKWATER_THREAD=") } })
            #expect(threads == ["BREAKWATER_THREAD=\(MessageKey(first))", "BREAKWATER_THREAD=\(MessageKey(second))"])
            for run in runs {
                #expect(run.contains("BREAKWATER_SUBJECT=Welcome") && run.contains("BREAKWATER_AUTHOR=boss@example.test"), "\(run)")
                #expect(run.contains("BREAKWATER_AUDIENCE=51") || run.contains("BREAKWATER_AUDIENCE=50"), "\(run)")
                #expect(run.contains { $0.hasPrefix("BREAKWATER_BLOCKED_UNTIL=20") }, "\(run)")
            }
        }
    }

    @Test func aTrippedStormIsMailedOnceToTheAdminAndTheAuthor() throws {
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-mail")
        defer { TestEnvironment.remove(folder) }
        // The sendmail interface, as Postfix's is called: addresses as arguments, the message on
        // standard input. This one keeps what it was given, one file per run.
        let sendmail = "\(folder)/sendmail"
        try "#!/bin/sh\n{ echo \"ARGS $*\"; cat; } > \(folder)/.mail.$$ && mv \(folder)/.mail.$$ \(folder)/mail.$$\n"
            .write(toFile: sendmail, atomically: true, encoding: .utf8)
        chmod(sendmail, 0o755)
        try withSetup("notify_mail = postmaster@example.test\nnotify_author = yes\nsendmail_path = \(sendmail)") { s in
            let root = "root-mail@example.test"
            _ = try s.storm(root: root, replies: 5)
            func mails() -> [String] {
                let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasPrefix("mail.") }
                return names.map { (try? String(contentsOfFile: "\(folder)/\($0)", encoding: .utf8)) ?? "" }
            }
            #expect(TestEnvironment.waitUntil(seconds: 20) { !mails().isEmpty }, "\(s.daemon.log)")
            // More stopped replies and a stats round trip: still one mail for the one storm.
            _ = try s.storm(root: root, replies: 3, from: 30)
            #expect(try s.cli.json(StatsView.self, ["stats"]).stormsTripped == 1)
            let all = mails()
            #expect(all.count == 1, "\(all)")
            let mail = try #require(all.first)
            #expect(mail.hasPrefix("ARGS -i -- postmaster@example.test boss@example.test\n"), "\(mail)")
            #expect(mail.contains("\nSubject: Reply-all storm stopped: Welcome"), "\(mail)")
            #expect(mail.contains("\nAuto-Submitted: auto-generated\n"), "\(mail)")
            #expect(mail.contains("breakwater release \(MessageKey(root))"), "\(mail)")
            #expect(!mail.contains("In-Reply-To") && !mail.contains("References"), "\(mail)")
        }
    }

    @Test func tableProblemsAreCountedInTheMetrics() throws {
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-tables")
        defer { TestEnvironment.remove(folder) }
        try "good@example.test 300\nbad line without a size\nworse@example.test -4\n"
            .write(toFile: "\(folder)/sizes", atomically: true, encoding: .utf8)
        try withSetup("list_size_maps = \(folder)/sizes") { s in
            let scrape = try MetricsScrape.get(port: s.metricsPort)
            #expect(MetricsScrape.value("breakwater_table_problems", in: scrape.body) == 2, "\(scrape.body)")
        }
    }

    @Test func theCLIExplainsAMissingDaemonAndExits69() throws {
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-ops")
        defer { TestEnvironment.remove(folder) }
        let cli = AdminCLI(folder: folder, socket: "\(folder)/control.sock")
        for verb in [["storms"], ["stats", "--json"], ["release", "0123456789abcdef"]] {
            let result = try cli.run(verb)
            #expect(result.status == 69, "\(verb): \(result)")
            #expect(result.output == "breakwater: cannot reach the daemon at \(folder)/control.sock: "
                    + "No such file or directory (is it running?)\n", "\(verb): \(result.output)")
        }
    }

    @Test func theControlSocketIsOwnerOnly() throws {
        try withSetup { s in
            var info = stat()
            #expect(stat(s.cli.socket, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o600)
        }
    }
}

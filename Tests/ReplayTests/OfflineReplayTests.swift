import Testing
import MilterWire
import StormCore
@testable import Replay

/// The committed scenarios through the engine in virtual time, and the bridge from scripted
/// messages to facts and from verdicts to milter terms.
@Suite("Offline replay")
struct OfflineReplayTests {
    func replay(_ name: String, policy: StormPolicy = StormPolicy()) -> OfflineReport {
        OfflineReplay.run(OfflineReplay.Options(
            files: [RepositoryPaths.scenario(name + ".session")],
            audienceSources: [.sizes(path: RepositoryPaths.scenario(name + ".sizes"))], policy: policy))
    }

    @Test func nhs2016UnderTheDefaultPolicyStopsEveryReplyAllAtTheGate() {
        let r = replay("nhs-2016")
        #expect(r.problems.isEmpty)
        #expect(r.tally.failed == 0)
        #expect(r.tally.passed == r.messages)
        #expect(r.rules == ["hard-gate": 80, "auto-reply": 6])
        #expect(r.actions["accept"] == 1 + 27)  // the original and every direct reply
        #expect(r.storms.isEmpty)
        #expect(r.deliveriesPrevented == 86 * 840_001)
        #expect(r.exitStatus == 0)
        #expect(r.text.hasSuffix("\(r.messages) passed, 0 failed\n"))
        #expect(r.text.contains("stopped by rule: hard-gate 80, auto-reply 6"))
    }

    @Test func microsoft1997And13kIsAboveTheGateSoEveryReplyAllIsStopped() {
        let r = replay("microsoft-1997")
        #expect(r.tally.failed == 0 && r.tally.passed > 0)
        #expect(r.rules["hard-gate"] == 40)
        #expect(r.storms.isEmpty)
    }

    @Test func nyu2012PassesItsExpectations() {
        let r = replay("nyu-2012")
        #expect(r.tally.failed == 0 && r.tally.passed > 0)
        #expect(r.rules["hard-gate"] == 120)
    }

    @Test func normalTrafficPassesUntouched() {
        let r = replay("normal-traffic")
        #expect(r.tally.failed == 0)
        #expect(r.tally.passed == r.messages)
        #expect(r.actions == ["accept": r.messages])
        #expect(r.rules.isEmpty)
    }

    @Test func theSameNHSFileUnderNoGateFailsWhereTheModelSaidGateAndTheStormIsReported() {
        var p = StormPolicy()
        p.hardGate = nil
        let r = replay("nhs-2016", policy: p)
        // The file was written for the default policy: the first five reply-alls now pass, and
        // the other 75 are stopped, but by the budget and the storm, with other words.
        #expect(r.tally.failed == 80)
        #expect(r.tally.failures.filter { $0.got == "accept" }.count == 5)
        #expect(r.tally.failures.filter { $0.got.contains("has used its delivery budget") }.count == 1)
        #expect(r.rules["budget"] == 1)
        #expect(r.rules["storm"] == 74)
        let trip = r.storms.first { $0.kind == "tripped" }
        #expect(trip?.subject == "Test email")
        #expect(r.exitStatus == 1)
        #expect(r.text.contains("expected reject 550 5.7.1 ~ reaches too many people, got accept"))
    }

    @Test func aNoGateScenarioAgreesWithTheEngineWithoutTheGate() throws {
        var s = StormScenario()
        s.audience = 13_000
        s.repliers = 300
        s.over = 14 * 3_600
        s.expectPolicy = PolicyModel.Settings.named("storm-only")!
        let g = s.generate()
        var p = StormPolicy()
        p.hardGate = nil
        p.deliveryBudget = nil
        let (directory, _) = AudienceDirectory.load([.sizesText(name: "s", text: g.sizes)])
        let r = OfflineReplay.run([g.file], policy: p, directory: directory)
        #expect(r.tally.failed == 0)
        // Over 14 hours the six-hour block ends and the thread trips again.
        #expect(r.storms.filter { $0.kind == "tripped" }.count >= 2)
        #expect(r.storms.contains { $0.kind == "expired" })
    }

    @Test func factsAreBuiltAsTheDaemonBuildsThem() throws {
        let file = try SessionParser.parse("""
        connect client.example inet 192.0.2.7 4321
        macro mail {auth_authen} alice
        mail <alice@example.org> SIZE=10 BODY=8BITMIME
        rcpt <all@example.org> NOTIFY=NEVER
        macro eom i 4F2A1
        header Subject: hello
        header To: first@example.org
        header To: second@example.org
        eom
        """, name: "t")
        let f = EngineBridge.facts(for: file.sessions[0].messages[0], in: file.sessions[0])
        #expect(f.sender == "<alice@example.org> SIZE=10 BODY=8BITMIME")
        // The address alone, as libmilter's argv[0]: a trim deletes recipients by this spelling.
        #expect(f.recipients == ["<all@example.org>"])
        #expect(f.saslUser == "alice")
        #expect(f.clientAddress == "192.0.2.7")
        #expect(f.queueID == "4F2A1")
        #expect(f.headers.subject == "hello")
        #expect(f.headers.to == "first@example.org, second@example.org")
    }

    @Test func everyActionMapsToMilterTerms() throws {
        var v = Verdict(action: .reject, reason: .stopped(.hardGate))
        v.smtpCode = 550
        v.enhancedCode = "5.7.1"
        v.text = "no"
        #expect(EngineBridge.outcome(of: v).verdict == .reply(try SMTPReply(parsing: "550 5.7.1 no")))
        v.action = .defer
        v.smtpCode = 450
        v.enhancedCode = "4.7.1"
        #expect(Observation.decided(EngineBridge.outcome(of: v)).check(.tempfail(code: 450, enhancedCode: "4.7.1", text: "no")) == nil)
        v.action = .hold
        let held = Observation.decided(EngineBridge.outcome(of: v))
        #expect(held.check(.quarantine(reason: "no")) == nil)
        #expect(held.check(.accept) == nil)
        v.action = .tag
        v.headersToAdd = [StormCore.HeaderField(name: "X-Breakwater", value: "would-stop; rule=hard-gate")]
        let tagged = Observation.decided(EngineBridge.outcome(of: v))
        #expect(tagged.check(.headerAdded(name: "x-breakwater", value: "would-stop")) == nil)
        #expect(tagged.check(.noHeaderAdded(name: "X-Breakwater")) == "headers added X-Breakwater: would-stop; rule=hard-gate")
        v.action = .trim
        v.recipientsToRemove = ["<all@example.org>"]
        v.recipientsToAdd = ["<author@example.org>"]
        let trimmed = Observation.decided(EngineBridge.outcome(of: v))
        #expect(trimmed.check(.recipientDeleted("all@example.org")) == nil)
        #expect(trimmed.check(.recipientAdded("<author@example.org>")) == nil)
        #expect(trimmed.check(.reject(code: nil, enhancedCode: nil, text: nil)) == "accept")
    }

    @Test func abortedMessagesAreNotJudgedAndExpectContinue() throws {
        let file = try SessionParser.parse("""
        mail <a@example.org>
        rcpt <b@example.org>
        abort
        expect continue
        expect accept
        """, name: "t")
        let r = OfflineReplay.run([file], policy: StormPolicy(), directory: .empty)
        #expect(r.tally.passed == 1)
        #expect(r.tally.failures.map(\.description) == [
            "t:5: expected accept, got message aborted undecided (session at line 1, message 1 (line 1))"])
        #expect(r.actions.isEmpty)
    }

    @Test func missingTablesAndBadFilesStopTheReplayWithStatusTwo() {
        let r = OfflineReplay.run(OfflineReplay.Options(files: [RepositoryPaths.scenario("nhs-2016.session")],
                                                        audienceSources: [.sizes(path: "/nonexistent.sizes")]))
        #expect(r.exitStatus == 2)
        #expect(r.text.contains("/nonexistent.sizes"))
        #expect(r.text.hasSuffix("0 passed, 0 failed\n"))
        let bad = OfflineReplay.run(OfflineReplay.Options(files: ["/nonexistent.session"]))
        #expect(bad.exitStatus == 2)
    }
}

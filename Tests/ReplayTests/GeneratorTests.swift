import Testing
import MilterWire
@testable import Replay

/// The scenario generator: the right numbers of the right messages, spread in time, the same
/// file for the same seed.
@Suite("Scenario generator")
struct GeneratorTests {
    func storm(seed: UInt64 = 1) -> GeneratedScenario {
        var s = StormScenario()
        s.audience = 840_000
        s.list = "all@nhs.example"
        s.repliers = 80
        s.over = 75 * 60
        s.directMix = 0.25
        s.autoReplies = 6
        s.seed = seed
        return s.generate()
    }

    func messages(_ g: GeneratedScenario, named prefix: String) -> [ScriptedMessage] {
        g.file.sessions.filter { $0.name.hasPrefix(prefix) }.flatMap(\.messages)
    }

    @Test func aStormHasItsOriginalRepliersDirectAndAutomaticReplies() {
        let g = storm()
        #expect(g.file.sessions.count == 1 + 80 + 27 + 6)
        #expect(g.file.sessions.allSatisfy { $0.messages.count == 1 })
        #expect(g.sizes == "all@nhs.example 840000\n")
        let replyAlls = messages(g, named: "reply-all-")
        #expect(replyAlls.count == 80)
        #expect(Set(replyAlls.map(\.sender.address)).count == 80)
        #expect(replyAlls.allSatisfy { $0.recipients.map(\.address).contains("<all@nhs.example>") })
        let direct = messages(g, named: "direct-")
        #expect(direct.count == 27)  // a quarter of all 107 replies
        #expect(direct.allSatisfy { $0.recipients.map(\.address) == ["<sender@nhs.example>"] })
        let automatic = messages(g, named: "auto-")
        #expect(automatic.count == 6)
        #expect(automatic.allSatisfy { $0.headers.contains(HeaderField(name: "Auto-Submitted", value: "auto-replied")) })
    }

    @Test func repliesAreSpreadOverTheSpanInTimeOrder() {
        let g = storm()
        let times = g.file.sessions.flatMap(\.messages).map { $0.at ?? -1 }
        #expect(times.first == 0)
        #expect(times == times.sorted())
        let replies = times.dropFirst()
        #expect(replies.allSatisfy { (60...4_500).contains($0) })
        // Spread, not bunched: each quarter of the span holds some replies.
        for quarter in 0..<4 {
            let from = 60 + Int64(quarter) * 1_110
            #expect(replies.contains { $0 >= from && $0 < from + 1_110 })
        }
    }

    @Test func theSameSeedGivesTheSameFileAndAnotherSeedAnother() {
        #expect(storm(seed: 7).text == storm(seed: 7).text)
        #expect(storm(seed: 7).text != storm(seed: 8).text)
        var n = NormalScenario()
        n.seed = 3
        #expect(n.generate().text == n.generate().text)
    }

    @Test func theDefaultModelStopsEveryReplyAllAboveTheGateAndNothingElse() {
        let g = storm()
        let kinds = g.file.sessions.map { ($0.name, $0.messages[0].expectations.map(\.kind)) }
        for (name, expected) in kinds {
            if name.hasPrefix("reply-all-") {
                #expect(expected == [.reject(code: 550, enhancedCode: "5.7.1", text: "reaches too many people")])
            } else if name.hasPrefix("auto-") {
                #expect(expected == [.reject(code: 550, enhancedCode: "5.7.1", text: "Automatic reply to")])
            } else {
                #expect(expected == [.accept])
            }
        }
    }

    @Test func withoutTheGateTheModelTripsOnTheBudgetAtTheSixthReplyAll() {
        var s = StormScenario()
        s.expectPolicy = PolicyModel.Settings.named("no-gate")!
        s.directMix = 0
        let g = s.generate()
        let verdicts = g.file.sessions.filter { $0.name.hasPrefix("reply-all-") }.map { $0.messages[0].expectations[0].kind }
        #expect(verdicts.prefix(5).allSatisfy { $0 == .accept })
        #expect(verdicts[5] == .reject(code: 550, enhancedCode: "5.7.1", text: "has used its delivery budget"))
        #expect(verdicts.dropFirst(6).allSatisfy { $0 == .reject(code: 550, enhancedCode: "5.7.1", text: "is blocked until") })
    }

    @Test func normalTrafficHasEveryKindAndExpectsOnlyAccepts() {
        var n = NormalScenario()
        n.messages = 400
        let g = n.generate()
        let all = g.file.sessions.flatMap(\.messages)
        #expect(all.count >= 400)
        #expect(all.allSatisfy { $0.expectations.map(\.kind) == [.accept] })
        #expect(all.contains { $0.headers.contains(HeaderField(name: "Precedence", value: "bulk")) })
        #expect(all.contains { $0.recipients.contains { $0.address.hasPrefix("<team") } && $0.recipients.count == 2 })
        #expect(all.contains { $0.recipients.contains { $0.address == "<engineering@corp.example>" } && $0.recipients.count == 2 })
        #expect(all.contains { $0.headers.contains { $0.name == "Auto-Submitted" } })
        #expect(g.sizes.contains("all-staff@corp.example 12000\n"))
    }

    @Test func loadScenariosHaveTheAskedShape() {
        var l = LoadScenario()
        l.sessions = 3
        l.messagesPerSession = 4
        l.recipients = 20
        l.headers = 8
        l.expectHeader = "X-Null"
        let g = l.generate()
        #expect(g.file.sessions.count == 3)
        #expect(g.file.messageCount == 12)
        #expect(g.file.sessions.flatMap(\.messages).allSatisfy { $0.recipients.count == 20 && $0.headers.count == 8 })
        #expect(g.file.expectationCount == 12)
    }

    @Test func badSettingsAreRefusedWithReasons() {
        var s = StormScenario()
        s.directMix = 1
        s.list = "not a list"
        s.repliers = -1
        #expect(s.problems().count == 3)
    }
}

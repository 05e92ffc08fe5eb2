import StormCore
import Testing

/// The one lowering from verdict to milter actions, and the draft that collects what the MTA
/// said: what the daemon carries out and the offline replay reads.
@Suite("Verdicts in milter terms")
struct MilterActionsTests {
    @Test func aTrimAddsTheAuthorFirstThenDeletesTheRestThenTags() {
        var v = Verdict(action: .trim, reason: .stopped(.storm))
        v.recipientsToAdd = ["<ceo@corp.example>"]
        v.recipientsToRemove = ["<all@corp.example>", "<x@corp.example>"]
        v.headersToAdd = [HeaderField(name: "X-Breakwater", value: "stopped")]
        #expect(v.milterActions == MilterActions(edits: [
            .addRecipient("<ceo@corp.example>"), .deleteRecipient("<all@corp.example>"),
            .deleteRecipient("<x@corp.example>"), .addHeader(HeaderField(name: "X-Breakwater", value: "stopped")),
        ]))
    }

    @Test func aHoldTagsThenQuarantinesAndARefusalEditsNothing() {
        var hold = Verdict(action: .hold, reason: .stopped(.firstSend))
        hold.text = "held for review"
        hold.headersToAdd = [HeaderField(name: "X-Breakwater", value: "held")]
        #expect(hold.milterActions.edits == [.addHeader(HeaderField(name: "X-Breakwater", value: "held")),
                                             .quarantine(reason: "held for review")])
        #expect(hold.milterActions.reply == .continue)

        var reject = Verdict(action: .reject, reason: .stopped(.storm))
        reject.text = "no"
        reject.headersToAdd = [HeaderField(name: "X-Breakwater", value: "never sent")]
        #expect(reject.milterActions == MilterActions(reply: .reject(code: 550, enhancedCode: "5.7.1", text: "no")))
        var deferred = Verdict(action: .defer, reason: .stopped(.storm))
        deferred.smtpCode = 421
        deferred.text = "later"
        #expect(deferred.milterActions.reply == .tempfail(code: 421, enhancedCode: "4.7.1", text: "later"))
    }

    @Test func theDraftKeepsRecipientsUpToItsBoundAndCountsTheRest() {
        var d = MessageDraft(mailArguments: ["<a@corp.example>", "SIZE=9"], saslUser: nil, clientAddress: nil,
                             queueID: nil, startedAt: 0)
        for i in 0..<(MessageDraft.maxRecipients + 2) { d.addRecipient(["<p\(i)@corp.example>"]) }
        #expect(d.facts.recipients.count == MessageDraft.maxRecipients)
        #expect(d.facts.recipientsNotKept == 2 && d.recipientCount == MessageDraft.maxRecipients + 2)
        #expect(d.facts.sender == "<a@corp.example> SIZE=9")
    }

    @Test func aTrimTheBridgeCannotCompleteIsRefusedByTheEngine() {
        var p = PolicyRuleTests.quickStorm()
        p.actions[.storm] = RuleAction(action: .trim)
        let room = Mailroom(policy: p, sizes: PolicyRuleTests.sizes)
        let (_, o) = room.announce(from: "ceo@corp.example", to: "all@corp.example", subject: "Town hall")
        for i in 1...3 { room.replyAll(from: person(i, at: "corp.example"), to: o, list: "all@corp.example") }
        var h = MessageHeaders()
        h.record(name: "In-Reply-To", value: "<\(o.id)>")
        h.record(name: "Subject", value: "Re: Town hall")
        var facts = MessageFacts(sender: "<p9@corp.example>", recipients: ["<all@corp.example>"], headers: h)
        #expect(room.engine.decide(facts, at: room.now).action == .trim)
        facts.recipientsNotKept = 1
        let v = room.engine.decide(facts, at: room.now)
        #expect(v.action == .reject && v.rule == .storm && v.smtpCode == 550 && v.enhancedCode == "5.7.1")
        #expect(v.text == "Reply-all to too many recipients refused. Reply to the sender only.")
        #expect(v.recipientsToRemove.isEmpty && v.headersToAdd.isEmpty)
    }
}

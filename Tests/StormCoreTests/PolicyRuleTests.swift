import Testing
import StormCore

/// Each knob of the policy, seen from the outside: what the verdict says.
@Suite("Policy rules and actions")
struct PolicyRuleTests {
    static let sizes = "all@corp.example 20000\n"

    /// A policy whose storm trips at 3 and whose gate is off, so rules are easy to reach.
    static func quickStorm() -> StormPolicy {
        var p = StormPolicy()
        p.hardGate = nil
        p.deliveryBudget = nil
        p.tripReplies = 3
        return p
    }

    /// Announces, then sends `n` reply-alls; returns the room, the original and the last verdict.
    func storm(_ p: StormPolicy, replies n: Int) -> (Mailroom, Mailroom.Sent, Verdict) {
        let room = Mailroom(policy: p, sizes: Self.sizes)
        let (_, o) = room.announce(from: "ceo@corp.example", to: "all@corp.example", subject: "Town hall")
        var last = Verdict(action: .accept, reason: .ordinary)
        for i in 1...n {
            room.advance(minutes: 1)
            last = room.replyAll(from: person(i, at: "corp.example"), to: o, list: "all@corp.example").verdict
        }
        return (room, o, last)
    }

    @Test func rejectCarriesTheConfiguredCodeAndATextWithTheThreadFigures() {
        let (_, _, v) = storm(Self.quickStorm(), replies: 4)
        #expect(v.action == .reject)
        #expect(v.rule == .storm)
        #expect(v.smtpCode == 550)
        #expect(v.enhancedCode == "5.7.1")
        let text = try! #require(v.text)
        #expect(text.contains("\"Town hall\""))
        #expect(text.contains("after 3 replies to 20001 recipients"))
        #expect(v.figures.deliveriesPrevented == 20_001)
        #expect(v.figures.blockedUntil != nil)
    }

    @Test func deferUsesFourHundredCodes() {
        var p = Self.quickStorm()
        p.actions[.storm] = RuleAction(action: .defer)
        let (_, _, v) = storm(p, replies: 4)
        #expect(v.action == .defer)
        #expect(v.smtpCode == 450)
        #expect(v.enhancedCode == "4.7.1")
    }

    @Test func holdGivesAReasonAndNoCode() {
        var p = Self.quickStorm()
        p.actions[.storm] = RuleAction(action: .hold, text: "held: {subject} ({replies})")
        let (_, _, v) = storm(p, replies: 4)
        #expect(v.action == .hold)
        #expect(v.smtpCode == nil)
        #expect(v.text == "held: Town hall (3)")
    }

    @Test func tagOnlyAddsAHeaderAndDelivers() {
        var p = Self.quickStorm()
        p.actions[.storm] = RuleAction(action: .tag)
        let (_, _, v) = storm(p, replies: 4)
        #expect(v.action == .tag)
        #expect(v.rule == .storm)
        #expect(v.smtpCode == nil)
        #expect(v.recipientsToRemove.isEmpty)
        let h = try! #require(v.headersToAdd.first)
        #expect(h.name == "X-Breakwater")
        #expect(h.value.hasPrefix("would-stop; rule=storm;"))
        #expect(h.value.contains("audience=20001"))
    }

    @Test func trimDeliversToTheOriginalAuthorOnly() {
        var p = Self.quickStorm()
        p.actions[.storm] = RuleAction(action: .trim)
        let (_, _, v) = storm(p, replies: 4)
        #expect(v.action == .trim)
        // The author is already a recipient: everyone else goes, the author's own entry stays
        // (deleting and re-adding it would delete it for good in Postfix).
        #expect(v.recipientsToRemove == ["<all@corp.example>"])
        #expect(v.recipientsToAdd == [])
    }

    @Test func trimAddsTheAuthorWhenTheReplyAllLeftThemOut() {
        var p = Self.quickStorm()
        p.actions[.storm] = RuleAction(action: .trim)
        let room = Mailroom(policy: p, sizes: Self.sizes)
        let (_, o) = room.announce(from: "ceo@corp.example", to: "all@corp.example", subject: "Town hall")
        var v = Verdict(action: .accept, reason: .ordinary)
        for i in 1...4 {
            v = room.send(from: person(i, at: "corp.example"), envelope: ["all@corp.example", "x@corp.example"],
                          subject: "Re: Town hall", replyingTo: o).verdict
        }
        #expect(v.action == .trim)
        #expect(v.recipientsToRemove == ["<all@corp.example>", "<x@corp.example>"])
        #expect(v.recipientsToAdd == ["<ceo@corp.example>"])
    }

    @Test func trimOfAReplyWhoseOriginalWasNeverSeenGoesToThePersonInTo() {
        var p = Self.quickStorm()
        p.actions[.storm] = RuleAction(action: .trim)
        let room = Mailroom(policy: p, sizes: Self.sizes)
        let unseen = Mailroom.Sent(id: "x@elsewhere.example", subject: "Hi", author: "bob@corp.example", references: [])
        var v = Verdict(action: .accept, reason: .ordinary)
        for i in 1...4 { v = room.replyAll(from: person(i, at: "corp.example"), to: unseen, list: "all@corp.example").verdict }
        #expect(v.action == .trim)
        #expect(v.recipientsToAdd == [])
        #expect(v.recipientsToRemove == ["<all@corp.example>"])
    }

    @Test func exemptSendersUsersAndNetworksPassEvenDuringAStorm() {
        var p = Self.quickStorm()
        p.exemptions.senders = ["comms@corp.example"]
        p.exemptions.senderDomains = ["it.corp.example"]
        p.exemptions.saslUsers = ["Helpdesk"]
        p.exemptions.clientNetworks = [ClientNetwork(cidr: "192.0.2.0/24")!]
        let (room, o, blocked) = storm(p, replies: 4)
        #expect(blocked.rule == .storm)
        let rcpts = [o.author, "all@corp.example"]
        #expect(room.send(from: "comms@corp.example", envelope: rcpts, subject: "Re: Town hall", replyingTo: o).verdict.reason == .exempt)
        #expect(room.send(from: "ops@it.corp.example", envelope: rcpts, subject: "Re: Town hall", replyingTo: o).verdict.reason == .exempt)
        #expect(room.send(from: "x@corp.example", envelope: rcpts, subject: "Re: Town hall", replyingTo: o,
                          saslUser: "helpdesk").verdict.reason == .exempt)
        #expect(room.send(from: "y@corp.example", envelope: rcpts, subject: "Re: Town hall", replyingTo: o,
                          client: "192.0.2.77").verdict.reason == .exempt)
        #expect(room.send(from: "z@corp.example", envelope: rcpts, subject: "Re: Town hall", replyingTo: o,
                          client: "198.51.100.7").verdict.rule == .storm)
    }

    @Test func anExemptThreadNeverStorms() {
        var p = Self.quickStorm()
        let room0 = Mailroom(policy: p, sizes: Self.sizes)
        let (_, o) = room0.announce(from: "ceo@corp.example", to: "all@corp.example", subject: "Town hall")
        p.exemptions.threads = ["<\(o.id)>"]
        room0.engine.reconfigure(policy: p, directory: room0.engine.directory)
        for i in 1...10 {
            #expect(room0.replyAll(from: person(i, at: "corp.example"), to: o, list: "all@corp.example").verdict.action == .accept)
        }
    }

    @Test func automaticRepliesIntoALargeThreadAreStoppedButAnOutOfOfficeToTheAuthorPasses() {
        let (room, o, _) = storm(Self.quickStorm(), replies: 1)
        let autoAll = room.replyAll(from: "away@corp.example", to: o, list: "all@corp.example",
                                    extraHeaders: [("Auto-Submitted", "auto-replied")]).verdict
        #expect(autoAll.rule == .autoReply)
        let bulk = room.replyAll(from: "bot@corp.example", to: o, list: "all@corp.example",
                                 extraHeaders: [("Precedence", "bulk")]).verdict
        #expect(bulk.rule == .autoReply)
        let ooo = room.send(from: "away@corp.example", envelope: [o.author], subject: "Out of office: Town hall",
                            replyingTo: o, extraHeaders: [("Auto-Submitted", "auto-replied")]).verdict
        #expect(ooo.action == .accept)
        #expect(ooo.reason == .directReply)
        // An auto-reply to a handful of people of the large thread is stopped too.
        let few = room.send(from: "robot@corp.example", envelope: [o.author, "a@corp.example", "b@corp.example"],
                            subject: "Re: Town hall", replyingTo: o, extraHeaders: [("Auto-Submitted", "auto-generated")]).verdict
        #expect(few.rule == .autoReply)
        // Auto-Submitted: no is a person.
        let person = room.replyAll(from: "p@corp.example", to: o, list: "all@corp.example",
                                   extraHeaders: [("Auto-Submitted", "no")]).verdict
        #expect(person.rule == nil)
    }

    @Test func anOutlookRecallToTheWholeListIsStopped() {
        let (room, o, _) = storm(Self.quickStorm(), replies: 1)
        let recall = room.send(from: "ceo@corp.example", envelope: ["all@corp.example"], subject: "Recall: Town hall",
                               replyingTo: o).verdict
        #expect(recall.rule == .autoReply)
    }

    @Test func theBlockCanBeExtendedWhileRepliesKeepComing() {
        var p = Self.quickStorm()
        p.extendBlockWhileActive = true
        let (room, o, first) = storm(p, replies: 4)
        let until1 = try! #require(first.figures.blockedUntil)
        room.advance(minutes: 60)
        let v = room.replyAll(from: "late@corp.example", to: o, list: "all@corp.example").verdict
        #expect(v.rule == .storm)
        let until2 = try! #require(v.figures.blockedUntil)
        #expect(until2.seconds == until1.seconds + 60 * 60)
    }

    @Test func aQuietStormEndsEarlyWhenQuietReleaseIsSet() {
        var p = Self.quickStorm()
        p.quietRelease = 30 * 60
        let (room, o, v) = storm(p, replies: 4)
        #expect(v.rule == .storm)
        room.advance(minutes: 31)
        let after = room.replyAll(from: "later@corp.example", to: o, list: "all@corp.example").verdict
        #expect(after.action == .accept)
        #expect(after.events.first?.kind == .expired)
    }

    @Test func firstSendGuardHoldsANewMessageToALargeAudienceFromAnUnapprovedSender() {
        var p = StormPolicy()
        p.firstSendGuard = 10_000
        p.approvedSenders = ["ceo@corp.example", "@comms.corp.example"]
        let room = Mailroom(policy: p, sizes: Self.sizes)
        let stranger = room.announce(from: "intern@corp.example", to: "all@corp.example", subject: "Cake!").verdict
        #expect(stranger.rule == .firstSend)
        #expect(stranger.action == .hold)
        #expect(room.announce(from: "ceo@corp.example", to: "all@corp.example", subject: "Results").verdict.action == .accept)
        #expect(room.announce(from: "news@comms.corp.example", to: "all@corp.example", subject: "News").verdict.action == .accept)
    }

    @Test func aListExpandedUpstreamTeachesItsSize() {
        var p = StormPolicy()
        p.replyAllThreshold = 100
        let room = Mailroom(policy: p)
        // Arrives already expanded: 150 envelope recipients, To names the list.
        let members = (1...150).map { "m\($0)@school.example" }
        let (v, o) = room.send(from: "head@school.example", envelope: members, to: "parents@school.example",
                               subject: "Trip")
        #expect(v.reason == .announcement)
        #expect(room.engine.ledger.learnedSizes["parents@school.example"] == 150)
        // A reply-all submitted here names only the list: sized from what was learned.
        let r = room.send(from: "dad@home.example", envelope: ["head@school.example", "parents@school.example"],
                          subject: "Re: Trip", replyingTo: o).verdict
        #expect(r.figures.audience == 151)
        #expect(r.figures.audienceIsUpperBound)
    }

    @Test func adminReleaseLetsTheNextReplyAllThroughAndFreezeStopsIt() {
        let (room, o, v) = storm(Self.quickStorm(), replies: 4)
        #expect(v.rule == .storm)
        let thread = try! #require(v.thread)
        let released = try! #require(room.engine.ledger.release("\(thread)", now: room.now))
        #expect(released.kind == .released)
        #expect(room.replyAll(from: "a@corp.example", to: o, list: "all@corp.example").verdict.action == .accept)

        let frozen = room.engine.ledger.freeze("<\(o.id)>", until: room.now + 3600, now: room.now)
        #expect(frozen.kind == .frozen)
        #expect(room.replyAll(from: "b@corp.example", to: o, list: "all@corp.example").verdict.rule == .storm)
        // Freezing a thread never seen here blocks its first reply-all.
        _ = room.engine.ledger.freeze("<future@corp.example>", until: room.now + 3600, now: room.now)
        let future = Mailroom.Sent(id: "future@corp.example", subject: "Soon", author: "x@corp.example", references: [])
        #expect(room.replyAll(from: "c@corp.example", to: future, list: "all@corp.example").verdict.rule == .storm)
    }

    @Test func sweepReportsExpiredStormsWithoutTraffic() {
        let p = Self.quickStorm()
        let (room, _, _) = storm(p, replies: 4)
        #expect(room.engine.ledger.sweep(now: room.now, policy: p).isEmpty)
        room.advance(minutes: 6 * 60 + 1)
        let events = room.engine.ledger.sweep(now: room.now, policy: p)
        #expect(events.map(\.kind) == [.expired])
        #expect(events.first?.subject == "Town hall")
    }

    @Test func aHostileSubjectCannotBreakTheReplyText() {
        let room = Mailroom(policy: Self.quickStorm(), sizes: Self.sizes)
        let evil = "Hi\r\n250 OK\r\nX-Injected: yes\u{0}%s"
        let (_, o) = room.announce(from: "ceo@corp.example", to: "all@corp.example", subject: evil)
        var v = Verdict(action: .accept, reason: .ordinary)
        for i in 1...4 { v = room.replyAll(from: person(i, at: "corp.example"), to: o, list: "all@corp.example").verdict }
        let text = try! #require(v.text)
        #expect(!text.contains("\r") && !text.contains("\n") && !text.contains("\u{0}"))
        #expect(text.utf8.count <= ReplyTemplate.maxBytes)
    }

    @Test func policyProblemsNameTheKnob() {
        var p = StormPolicy()
        p.replyAllThreshold = 0
        p.actions[.storm] = RuleAction(action: .reject, code: 450)
        p.actions[.hardGate] = RuleAction(action: .defer, enhancedCode: "5.7.1")
        let problems = p.problems()
        #expect(problems.contains { $0.contains("reply-all threshold") })
        #expect(problems.contains { $0.contains("storm: reject needs a 5xx code") })
        #expect(problems.contains { $0.contains("hard-gate: enhanced status code") })
        #expect(StormPolicy().problems().isEmpty)
    }
}

import Testing
import StormCore

/// The incidents Breakwater exists for, replayed through the engine with a virtual clock.
@Suite("Incidents")
struct IncidentScenarioTests {
    static let nhsSizes = "everyone@nhs.example 840000\n"

    /// 80 people reply to all over 75 minutes; every fourth of them also sends a direct reply.
    func nhsMorning(_ room: Mailroom) -> (replyAll: Tally, direct: Tally, original: Verdict) {
        let (v0, original) = room.announce(from: "admin@nhs.example", to: "everyone@nhs.example",
                                           subject: "Test email")
        var all = Tally(), direct = Tally()
        for i in 1...80 {
            room.advance(seconds: 56) // 80 replies in ~75 minutes
            all.add(room.replyAll(from: person(i), to: original, list: "everyone@nhs.example").verdict, index: i)
            if i % 4 == 0 {
                direct.add(room.reply(from: person(1000 + i), to: original).verdict, index: i)
            }
        }
        return (all, direct, v0)
    }

    @Test func nhsHardGateStopsEveryReplyAllFromTheFirst() {
        let room = Mailroom(sizes: Self.nhsSizes)
        let (all, direct, original) = nhsMorning(room)
        #expect(original.action == .accept)
        #expect(original.reason == .announcement)
        #expect(all.passed == 0)
        #expect(all.stopped[.hardGate] == 80)
        #expect(all.firstStop == 1)
        #expect(direct.passed == 20)
        #expect(direct.stoppedTotal == 0)
        let t = room.engine.ledger.totals(now: room.now)
        // Each reply-all went to the list and the author: 840,001 deliveries each.
        #expect(t.deliveriesPrevented == 80 * 840_001)
    }

    @Test func nhsWithoutGateTheBudgetTripsAtTheSixthReply() {
        var p = StormPolicy()
        p.hardGate = nil
        let room = Mailroom(policy: p, sizes: Self.nhsSizes)
        let (all, direct, _) = nhsMorning(room)
        // 5 × 840,001 = 4.2 M fit in the 5 M budget; the sixth would pass it.
        #expect(all.passed == 5)
        #expect(all.firstStop == 6)
        #expect(all.stopped[.budget] == 1)
        #expect(all.stopped[.storm] == 74)
        #expect(all.passedAfterFirstStop == 0)
        #expect(direct.passed == 20)
    }

    @Test func nhsWithoutGateOrBudgetTripsAtTheTenthAndExpiresAfterSixHours() {
        var p = StormPolicy()
        p.hardGate = nil
        p.deliveryBudget = nil
        let room = Mailroom(policy: p, sizes: Self.nhsSizes)
        let (all, direct, _) = nhsMorning(room)
        #expect(all.passed == 10)
        #expect(all.firstStop == 11)
        #expect(all.stopped[.storm] == 70)
        #expect(all.passedAfterFirstStop == 0)
        #expect(direct.passed == 20)

        let storms = room.engine.ledger.storms(now: room.now)
        let storm = try! #require(storms.first)
        #expect(storms.count == 1)
        #expect(storm.subject == "Test email")
        #expect(storm.author == "admin@nhs.example")
        #expect(storm.repliesPassed == 10)
        #expect(storm.repliesStopped == 70)
        let until = try! #require(storm.blockedUntil)
        let tripped = try! #require(storm.trippedAt)
        #expect(until.seconds - tripped.seconds == 6 * 3600)

        // Still blocked one minute before the end, free again after it.
        let original = Mailroom.Sent(id: storm.rootID, subject: "Test email", author: "admin@nhs.example", references: [])
        room.advance(seconds: until.seconds - room.now.seconds - 60)
        #expect(room.replyAll(from: person(500), to: original, list: "everyone@nhs.example").verdict.rule == .storm)
        room.advance(minutes: 2)
        let after = room.replyAll(from: person(501), to: original, list: "everyone@nhs.example").verdict
        #expect(after.action == .accept)
        #expect(after.events.map(\.kind) == [.expired])
    }

    @Test(arguments: [(13_000, "microsoft.example"), (40_000, "nyu.example"), (25_000, "utah.example")])
    func largeListStormIsGatedByDefaultAndTripsAtTheTenthWithoutTheGate(size: Int, domain: String) {
        let sizes = "all@\(domain) \(size)\n"
        for gate in [true, false] {
            var p = StormPolicy()
            if !gate { p.hardGate = nil }
            let room = Mailroom(policy: p, sizes: sizes)
            let (_, original) = room.announce(from: "boss@\(domain)", to: "all@\(domain)", subject: "Holiday schedule")
            var all = Tally(), direct = Tally()
            for i in 1...60 {
                room.advance(seconds: 30)
                all.add(room.replyAll(from: person(i, at: domain), to: original, list: "all@\(domain)").verdict, index: i)
                direct.add(room.reply(from: person(900 + i, at: domain), to: original).verdict, index: i)
            }
            #expect(direct.passed == 60, "direct replies always pass")
            if gate {
                #expect(all.passed == 0)
                #expect(all.stopped[.hardGate] == 60)
            } else {
                #expect(all.passed == 10)
                #expect(all.firstStop == 11)
                #expect(all.passedAfterFirstStop == 0)
            }
        }
    }

    @Test func repliesToRepliesStayInTheStorm() {
        var p = StormPolicy()
        p.hardGate = nil
        p.deliveryBudget = nil
        let room = Mailroom(policy: p, sizes: "all@uni.example 40000\n")
        var (_, last) = room.announce(from: "dean@uni.example", to: "all@uni.example", subject: "Parking")
        var all = Tally()
        for i in 1...30 {
            room.advance(minutes: 1)
            // Each person replies to the previous reply, not to the original.
            let (v, sent) = room.replyAll(from: person(i, at: "uni.example"), to: last, list: "all@uni.example")
            all.add(v, index: i)
            if v.rule == nil { last = sent }
        }
        #expect(all.passed == 10)
        #expect(all.firstStop == 11)
        #expect(all.passedAfterFirstStop == 0)
        #expect(room.engine.ledger.threadCount == 1)
    }

    @Test func aStormWhoseOriginalWasNeverSeenIsStillCaught() {
        var p = StormPolicy()
        p.hardGate = nil
        p.deliveryBudget = nil
        let room = Mailroom(policy: p, sizes: "all@big.example 30000\n")
        // The original came in through another MX: this one never saw it.
        let unseen = Mailroom.Sent(id: "root.elsewhere@big.example", subject: "Fire drill",
                                   author: "safety@big.example", references: [])
        var all = Tally()
        for i in 1...20 {
            room.advance(minutes: 2)
            all.add(room.replyAll(from: person(i, at: "big.example"), to: unseen, list: "all@big.example").verdict, index: i)
        }
        #expect(all.passed == 10)
        #expect(all.firstStop == 11)
        let storm = try! #require(room.engine.ledger.storms(now: room.now).first)
        #expect(storm.rootID == "root.elsewhere@big.example")
        #expect(storm.subject == "Fire drill")
    }

    @Test func tenReplyAllsSpreadOverMoreThanTheWindowDoNotTrip() {
        var p = StormPolicy()
        p.hardGate = nil
        let room = Mailroom(policy: p, sizes: "all@co.example 5000\n")
        let (_, original) = room.announce(from: "hr@co.example", to: "all@co.example", subject: "Benefits")
        var all = Tally()
        for i in 1...40 {
            room.advance(minutes: 7) // 8.6 per hour: never 10 within 60 minutes
            all.add(room.replyAll(from: person(i, at: "co.example"), to: original, list: "all@co.example").verdict, index: i)
        }
        #expect(all.passed == 40)
        #expect(room.engine.ledger.storms(now: room.now).isEmpty)
    }

    @Test func smallThreadsNeverStormButAnyThresholdCanBeSet() {
        let virtual = "team@co.example " + (1...40).map { "m\($0)@co.example" }.joined(separator: ", ") + "\n"
        // Default threshold 2,500: a 40-person team's reply-alls are direct replies.
        let room = Mailroom(virtual: virtual)
        let (_, o) = room.announce(from: "lead@co.example", to: "team@co.example", subject: "Standup")
        for i in 1...30 { #expect(room.replyAll(from: "m\(i)@co.example", to: o, list: "team@co.example").verdict.action == .accept) }

        // No floor: threshold 20 makes the same team's thread stormable.
        var p = StormPolicy()
        p.replyAllThreshold = 20
        let strict = Mailroom(policy: p, virtual: virtual)
        let (_, o2) = strict.announce(from: "lead@co.example", to: "team@co.example", subject: "Standup")
        var all = Tally()
        for i in 1...30 { all.add(strict.replyAll(from: "m\(i)@co.example", to: o2, list: "team@co.example").verdict, index: i) }
        #expect(all.passed == 10)
        #expect(all.firstStop == 11)
    }
}

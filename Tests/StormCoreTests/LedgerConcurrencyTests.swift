import Testing
import Dispatch
import Synchronization
import StormCore

/// The ledger is shared by every connection: these run many deciders at once.
@Suite("Ledger under concurrency and floods")
struct LedgerConcurrencyTests {
    @Test(arguments: [10, 1, 37])
    func sixteenThreadsRacingOneStormLetExactlyNThrough(trip: Int) {
        var p = StormPolicy()
        p.hardGate = nil
        p.deliveryBudget = nil
        p.tripReplies = trip
        let room = Mailroom(policy: p, sizes: "all@race.example 50000\n")
        let (_, o) = room.announce(from: "boss@race.example", to: "all@race.example", subject: "Race")
        let engine = room.engine
        let now = room.now
        let passed = Atomic<Int>(0)
        let stopped = Atomic<Int>(0)
        let perThread = 200
        DispatchQueue.concurrentPerform(iterations: 16) { t in
            for i in 0..<perThread {
                var h = MessageHeaders()
                h.record(name: "Message-ID", value: "<r\(t).\(i)@race.example>")
                h.record(name: "In-Reply-To", value: "<\(o.id)>")
                h.record(name: "References", value: "<\(o.id)>")
                h.record(name: "Subject", value: "Re: Race")
                let f = MessageFacts(sender: "<p\(t)x\(i)@race.example>",
                                     recipients: ["<boss@race.example>", "<all@race.example>"], headers: h)
                let v = engine.decide(f, at: now)
                if v.rule == nil { passed.add(1, ordering: .relaxed) } else { stopped.add(1, ordering: .relaxed) }
            }
        }
        #expect(passed.load(ordering: .relaxed) == trip)
        #expect(stopped.load(ordering: .relaxed) == 16 * perThread - trip)
        let s = engine.ledger.thread("<\(o.id)>", now: now)
        #expect(s?.repliesPassed == trip)
        #expect(s?.repliesStopped == 16 * perThread - trip)
    }

    @Test func aFloodOfFreshIdsStaysUnderTheCapAndTheStormStillHolds() {
        var p = StormPolicy()
        p.hardGate = nil
        p.deliveryBudget = nil
        p.tripReplies = 3
        let room = Mailroom(policy: p, sizes: "all@flood.example 9000\n", limits: LedgerLimits(maxThreads: 500))
        let (_, o) = room.announce(from: "boss@flood.example", to: "all@flood.example", subject: "Real storm")
        for i in 1...4 { room.replyAll(from: "s\(i)@flood.example", to: o, list: "all@flood.example") }
        // 20,000 large-audience messages with fresh ids, half replies to threads never seen.
        for i in 0..<20_000 {
            if i % 2 == 0 {
                room.announce(from: "spam\(i)@flood.example", to: "all@flood.example", subject: "Flood \(i)")
            } else {
                let ghost = Mailroom.Sent(id: "ghost\(i)@flood.example", subject: "Ghost \(i)", author: "g@flood.example", references: [])
                room.replyAll(from: "spam\(i)@flood.example", to: ghost, list: "all@flood.example")
            }
            #expect(room.engine.ledger.threadCount <= 500)
        }
        #expect(room.engine.ledger.threadCount == 500)
        #expect(room.engine.ledger.evictions > 19_000)
        #expect(room.replyAll(from: "late@flood.example", to: o, list: "all@flood.example").verdict.rule == .storm)
    }

    @Test func smallAndOrdinaryMailIsNotRemembered() {
        let room = Mailroom(sizes: "all@quiet.example 9000\n")
        for i in 0..<1_000 {
            room.send(from: "a\(i)@quiet.example", envelope: ["b\(i)@quiet.example"], subject: "Lunch \(i)")
        }
        #expect(room.engine.ledger.threadCount == 0)
        #expect(room.engine.ledger.indexedMessages == 0)
    }

    @Test func idleThreadsAreForgottenAfterTheirTimeToLive() {
        let room = Mailroom(sizes: "all@ttl.example 9000\n", limits: LedgerLimits(threadTTL: 3600))
        for i in 0..<10 { room.announce(from: "x@ttl.example", to: "all@ttl.example", subject: "Old \(i)") }
        #expect(room.engine.ledger.threadCount == 10)
        room.advance(minutes: 61)
        room.announce(from: "x@ttl.example", to: "all@ttl.example", subject: "New")
        _ = room.engine.ledger.sweep(now: room.now, policy: room.engine.policy)
        #expect(room.engine.ledger.threadCount == 1)
    }
}

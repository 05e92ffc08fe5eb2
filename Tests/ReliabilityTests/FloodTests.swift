import StormCore
import Testing

/// `breakwater-lab ledger-flood` at small scale: the same code (Flood/FloodRun.swift is a symlink to
/// breakwater-lab's file), 200,000 fresh ids into a ledger capped at 2,000 threads.
@Suite("Message-ID flood against a capped ledger")
struct FloodTests {
    @Test("200,000 fresh ids: the ledger never holds more than its cap, and the storm in the middle stays blocked")
    func floodKeepsTheCapAndTheStorm() {
        let r = Flood.run(ids: 200_000, cap: 2_000, checkEvery: 1_000)
        #expect(r.checks == 201)
        #expect(r.overCap == 0)
        #expect(r.maxThreads <= 2_000)
        // why: the flood must actually fill the ledger and push threads out, or the cap was never tested.
        #expect(r.maxThreads == 2_000)
        #expect(r.evictions >= 190_000)
        #expect(r.unexpectedVerdicts == 0)
        #expect(r.passedBeforeTrip == Flood.tripReplies)
        #expect(r.trippedAtReply == Flood.tripReplies + 1)
        #expect(r.blockedAfterFlood, "the storm was evicted by the flood")
    }
}

import StormCore
import Testing

/// Two engines (two hosts) deciding on one thread store: the storm is counted once, across both.
@Suite("Engines on one shared thread store")
struct SharedStoreTests {
    @Test func aStormSplitBetweenTwoHostsTripsAtTheSameCountAsOnOne() {
        var p = StormPolicy()
        p.hardGate = nil
        p.tripReplies = 4
        let (directory, problems) = AudienceDirectory.load([.sizesText(name: "sizes", text: "all@corp.example 5000\n")])
        #expect(problems.isEmpty)
        let shared = ThreadLedger()
        let hosts = [
            StormEngine(policy: p, directory: directory, ledger: ThreadLedger(), store: shared),
            StormEngine(policy: p, directory: directory, ledger: ThreadLedger(), store: shared),
        ]
        let now = Instant(seconds: 1_700_000_000)
        func message(_ n: Int, replyingTo parent: String?) -> MessageFacts {
            var h = MessageHeaders()
            h.record(name: "Message-ID", value: "<m\(n)@corp.example>")
            h.record(name: "Subject", value: parent == nil ? "Town hall" : "Re: Town hall")
            if let parent { h.record(name: "In-Reply-To", value: "<\(parent)>") }
            return MessageFacts(sender: "<p\(n)@corp.example>", recipients: ["<all@corp.example>"], headers: h)
        }
        // Announced on host A, answered on both, alternating.
        #expect(hosts[0].decide(message(0, replyingTo: nil), at: now).reason == .announcement)
        let verdicts = (1...10).map { n in hosts[n % 2].decide(message(n, replyingTo: "m0@corp.example"), at: now + Int64(n)) }
        #expect(verdicts.prefix(4).allSatisfy { $0.action == .accept }, "\(verdicts.map(\.action))")
        #expect(verdicts.dropFirst(4).allSatisfy { $0.rule == .storm }, "\(verdicts.map(\.reason))")
        #expect(Set(verdicts.compactMap(\.thread)).count == 1)
        // The decisions went to the shared store, not to each host's own ledger.
        #expect(shared.threadCount == 1)
        #expect(hosts.allSatisfy { $0.ledger.threadCount == 0 })
    }
}

import Testing
@testable import StormCore

/// The ordinary-mail fast path must give the same audience as the full parser whenever it
/// answers at all.
@Suite("Recipient fast path")
struct RecipientScanTests {
    static let virtual = """
        team@corp.example  a@corp.example, b@corp.example, c@corp.example
        all@corp.example   team@corp.example, d@corp.example
        """
    static let pool = (1...40).map { "<m\($0)@bulk.example>" } + [
        "<a@corp.example>", "<A@Corp.Example>", "<a+x@corp.example>", "<b@corp.example> NOTIFY=NEVER",
        "<team@corp.example>", "<TEAM+tag@corp.example>", "<all@corp.example>", "x@other.example",
        "<x@other.example>", "<X@OTHER.EXAMPLE> ORCPT=rfc822;x@other.example", "<\"q u\"@corp.example>",
        "<@relay:y@other.example>", "<>", "<broken", "y@", "<z@other.example.>", "<z@other.example>",
        "<p+q+r@other.example>", "<+p@other.example>", "<weird;addr@x.example>", "<ü@x.example>",
    ]

    @Test(arguments: ["", "+"])
    func theFastPathAgreesWithTheFullParser(delimiter: String) {
        var p = StormPolicy()
        p.recipientDelimiter = delimiter
        let (dir, problems) = AudienceDirectory.load([.virtualAliasesText(name: "v", text: Self.virtual)],
                                                     options: AudienceOptions(recipientDelimiter: delimiter))
        #expect(problems.isEmpty)
        let engine = StormEngine(policy: p, directory: dir)
        var rng = SplitMix64(seed: 7)
        var answered = 0, declined = 0
        for round in 0..<5_000 {
            // Mostly small envelopes (array dedup), every tenth a large one (set dedup).
            let n = round % 10 == 0 ? 65 + Int(rng.next() % 100) : 1 + Int(rng.next() % 6)
            let raws = (0..<n).map { _ in Self.pool[Int(rng.next() % UInt64(Self.pool.count))] }
            let full = MessageAudience.full(raws, directory: dir, learned: engine.ledger.learnedByHash)
            if let fast = RecipientScan.plainAudience(raws, directory: dir, learned: [:], delimiters: delimiter) {
                answered += 1
                #expect(fast == full.count, "\(raws)")
                #expect(!full.isUpperBound)
            } else {
                declined += 1
            }
        }
        // Both paths were exercised.
        #expect(answered > 500)
        #expect(declined > 500)
    }

    @Test func aLargePlainEnvelopeIsCountedOnTheFastPathAndAgrees() throws {
        let engine = StormEngine()
        // 3,000 recipients, 1,000 distinct people each written three ways (case, +extension).
        var raws: [String] = []
        for i in 0..<1_000 { raws += ["<p\(i)@big.example>", "<P\(i)@BIG.example>", "<p\(i)@big.example> NOTIFY=NEVER"] }
        let fast = try #require(RecipientScan.plainAudience(raws, directory: .empty, learned: [:], delimiters: "+"))
        #expect(fast == 1_000)
        #expect(fast == MessageAudience.full(raws, directory: .empty, learned: engine.ledger.learnedByHash).count)
    }

    @Test func aLearnedSizeSendsTheMessageTheFullWay() {
        let engine = StormEngine()
        engine.ledger.learn("parents@school.example", size: 300)
        let raws = ["<parents@school.example>"]
        #expect(RecipientScan.plainAudience(raws, directory: .empty, learned: engine.ledger.learnedByHash,
                                            delimiters: "") == nil)
        #expect(MessageAudience.full(raws, directory: .empty, learned: engine.ledger.learnedByHash).count == 300)
    }
}

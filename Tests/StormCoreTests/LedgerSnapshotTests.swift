import Testing
import StormCore

/// The snapshot keeps a storm's block across a restart, and bad files are errors, not crashes.
@Suite("Ledger snapshot")
struct LedgerSnapshotTests {
    /// A ledger with a tripped storm, an announcement and a learned size.
    func stormyRoom() -> (Mailroom, Mailroom.Sent) {
        var p = StormPolicy()
        p.hardGate = nil
        p.tripReplies = 3
        let room = Mailroom(policy: p, sizes: "all@snap.example 12000\n")
        let (_, o) = room.announce(from: "boss@snap.example", to: "all@snap.example", subject: "Snapshot")
        for i in 1...5 { room.replyAll(from: "p\(i)@snap.example", to: o, list: "all@snap.example") }
        room.announce(from: "other@snap.example", to: "all@snap.example", subject: "Calm")
        room.engine.ledger.learn("list@up.example", size: 321)
        return (room, o)
    }

    @Test func aRestartKeepsTheBlockAndEverythingElse() throws {
        let (room, o) = stormyRoom()
        let bytes = room.engine.ledger.snapshot(now: room.now)
        let restored = try ThreadLedger.restore(from: bytes)
        #expect(restored.threadCount == room.engine.ledger.threadCount)
        #expect(restored.indexedMessages == room.engine.ledger.indexedMessages)
        #expect(restored.learnedSizes == ["list@up.example": 321])
        #expect(restored.storms(now: room.now) == room.engine.ledger.storms(now: room.now))
        #expect(restored.thread("<\(o.id)>", now: room.now) == room.engine.ledger.thread("<\(o.id)>", now: room.now))
        // Encoding is deterministic: the restored ledger writes the same bytes.
        #expect(restored.snapshot(now: room.now) == bytes)

        // A new engine on the restored ledger still blocks the storm.
        let engine2 = StormEngine(policy: room.engine.policy, directory: room.engine.directory, ledger: restored)
        var h = MessageHeaders()
        h.record(name: "Message-ID", value: "<after-restart@snap.example>")
        h.record(name: "In-Reply-To", value: "<\(o.id)>")
        h.record(name: "Subject", value: "Re: Snapshot")
        let v = engine2.decide(MessageFacts(sender: "<z@snap.example>",
                                            recipients: ["<boss@snap.example>", "<all@snap.example>"], headers: h),
                               at: room.now + 60)
        #expect(v.rule == .storm)
    }

    @Test func restoringIntoASmallerLimitKeepsTheMostRecentThreads() throws {
        let (room, o) = stormyRoom()
        room.advance(minutes: 1)
        room.replyAll(from: "latest@snap.example", to: o, list: "all@snap.example") // storm is now most recent
        let restored = try ThreadLedger.restore(from: room.engine.ledger.snapshot(now: room.now),
                                                limits: LedgerLimits(maxThreads: 1))
        #expect(restored.threadCount == 1)
        #expect(restored.thread("<\(o.id)>", now: room.now)?.subject == "Snapshot")
        #expect(restored.storms(now: room.now).count == 1)
    }

    @Test func everyTruncationIsAnErrorValue() {
        let (room, _) = stormyRoom()
        let bytes = room.engine.ledger.snapshot(now: room.now)
        for n in 0..<bytes.count {
            #expect(throws: SnapshotError.self) { try ThreadLedger.restore(from: Array(bytes.prefix(n))) }
        }
    }

    @Test func everyFlippedByteIsCaught() {
        let (room, _) = stormyRoom()
        let bytes = room.engine.ledger.snapshot(now: room.now)
        for i in stride(from: 0, to: bytes.count, by: 3) {
            var b = bytes
            b[i] ^= 0x5a
            #expect(throws: SnapshotError.self) { try ThreadLedger.restore(from: b) }
        }
    }

    @Test func junkAndOtherVersionsAreNamed() {
        #expect(throws: SnapshotError.notASnapshot) { try ThreadLedger.restore(from: Array("hello world".utf8)) }
        var v2 = Array("BWLEDGER".utf8) + [2, 0, 0, 0] + [UInt8](repeating: 0, count: 20)
        #expect(throws: SnapshotError.unsupportedVersion(2)) { try ThreadLedger.restore(from: v2) }
        v2[8] = 1
        #expect(throws: SnapshotError.checksumMismatch) { try ThreadLedger.restore(from: v2) }
    }

    @Test func randomBytesNeverCrashTheReader() {
        var rng = SplitMix64(seed: 42)
        let (room, _) = stormyRoom()
        let good = room.engine.ledger.snapshot(now: room.now)
        for _ in 0..<2_000 {
            var b = good
            // Mutate a few bytes, then fix nothing: checksum or structure must catch it.
            for _ in 0..<(1 + Int(rng.next() % 4)) { b[Int(rng.next() % UInt64(b.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            if b == good { continue }
            #expect(throws: SnapshotError.self) { try ThreadLedger.restore(from: b) }
        }
    }
}

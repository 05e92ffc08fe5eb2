import StormCore

extension FuzzEntry {
    /// The snapshot decoder on hostile bytes. Most random bytes die at the magic or the
    /// checksum, so the input is also tried as a body behind a valid header and with a valid
    /// CRC-32 appended: that puts the fuzzer inside the record parser. Whatever decodes must
    /// encode and decode again to the same bytes.
    static func snapshot(_ bytes: [UInt8]) -> String? {
        var input = FuzzInput(bytes)
        let mode = input.byte()
        let limits = LedgerLimits(maxThreads: Int(input.byte() % 16) + 1, maxMessagesPerThread: Int(input.byte() % 8))
        let body = input.rest()
        let file: [UInt8]
        switch mode % 3 {
        case 0: file = body
        case 1: file = withChecksum(body)
        default: file = withChecksum(Array("BWLEDGER".utf8) + [1, 0, 0, 0] + body)
        }
        guard let ledger = try? ThreadLedger.restore(from: file, limits: limits) else { return nil }
        let now = Instant(seconds: 1_700_000_000)
        let once = ledger.snapshot(now: now)
        let again: ThreadLedger
        do { again = try ThreadLedger.restore(from: once, limits: limits) } catch {
            return "a decoded ledger re-encodes to bytes that do not decode: \(error)"
        }
        guard again.snapshot(now: now) == once else { return "decode(encode(decoded)) is not stable" }
        return nil
    }

    /// Round trip: a ledger built by the engine from a fuzzed stream of messages (originals,
    /// reply-alls, direct replies, across a few threads, with time passing) restores to the same
    /// ledger: same snapshot bytes, same totals (but the process-lifetime eviction count), same
    /// storms, same learned sizes.
    static func roundtrip(_ bytes: [UInt8]) -> String? {
        var input = FuzzInput(bytes)
        let limits = LedgerLimits(maxThreads: Int(input.byte() % 12) + 1, maxMessagesPerThread: Int(input.byte() % 6),
                                  maxLearnedSizes: Int(input.byte() % 4))
        var policy = StormPolicy()
        policy.replyAllThreshold = 5
        policy.tripReplies = Int(input.byte() % 4) + 1
        policy.window = 600
        policy.hardGate = nil
        let engine = StormEngine(policy: policy, directory: roundtripDirectory, ledger: ThreadLedger(limits: limits))
        var now = Instant(seconds: 1_700_000_000)
        var n = 0
        while !input.isEmpty && n < 200 {
            n += 1
            let op = input.byte(), thread = Int(input.byte() % 6), step = Int64(input.byte())
            now = now + step * Int64(op >> 5 & 3) * 7
            let list = op & 2 == 0 ? "<all@example.test>" : "<team@example.test>"
            var headers = MessageHeaders()
            headers.messageID = "<m\(n).\(op)@example.test>"
            headers.subject = op & 4 == 0 ? "Re: Topic \(thread)" : "Topic \(thread)"
            headers.from = "u\(op % 9)@example.test"
            if op & 1 == 1 {
                headers.inReplyTo = "<root\(thread)@example.test>"
                headers.references = "<root\(thread)@example.test> <m\(max(1, n - 1)).\(op)@example.test>"
            } else {
                headers.messageID = "<root\(thread)@example.test>"
            }
            let recipients = op & 8 == 0 ? [list, "<boss@example.test>"] : ["<u1@example.test>"]
            let facts = MessageFacts(sender: "<u\(op % 9)@example.test>", recipients: recipients, headers: headers)
            _ = engine.decide(facts, at: now)
            if op & 0x80 != 0 { _ = engine.ledger.sweep(now: now, policy: policy) }
            if op & 0x10 != 0 { engine.ledger.learn("list\(op % 5)@example.test", size: Int(step) + 1) }
        }
        let before = engine.ledger.snapshot(now: now)
        let restored: ThreadLedger
        do { restored = try ThreadLedger.restore(from: before, limits: limits) } catch {
            return "a snapshot of a live ledger does not restore: \(error)"
        }
        guard restored.snapshot(now: now) == before else { return "restore(snapshot(x)) snapshots differently" }
        var (restoredTotals, liveTotals) = (restored.totals(now: now), engine.ledger.totals(now: now))
        // why: evictions count "since start" of the process, by design not kept in the file.
        (restoredTotals.evictions, liveTotals.evictions) = (0, 0)
        guard restoredTotals == liveTotals else { return "totals differ after restore: \(restoredTotals) vs \(liveTotals)" }
        guard restored.storms(now: now) == engine.ledger.storms(now: now) else { return "storms differ after restore" }
        guard restored.learnedSizes == engine.ledger.learnedSizes else { return "learned sizes differ after restore" }
        return nil
    }

    /// The two lists `roundtrip` sends to. Built once: the directory is immutable and every
    /// input read it the same, so loading it per input only cost time.
    private static let roundtripDirectory = AudienceDirectory.load(
        [.sizesText(name: "sizes", text: "all@example.test 50\nteam@example.test 8\n")]).directory

    /// `bytes` followed by their CRC-32 (IEEE, reflected, as the snapshot trailer), little-endian.
    static func withChecksum(_ bytes: [UInt8]) -> [UInt8] {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        crc ^= 0xFFFF_FFFF
        return bytes + [UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 24)]
    }
}

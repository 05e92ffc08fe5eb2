import Glibc
import Replay
import StormCore

/// Files for the milter-path benchmark (Tools/bench/milter.sh): a ledger snapshot holding N
/// tracked threads for the daemon to restore, the size file their lists need, and session files
/// of ordinary mail mixed with replies into those threads.
enum Prefill {
    /// Fills a ledger with `threads` announcements (the engine benchmark's), stamped up to `now`,
    /// and writes its snapshot and the lists' size file.
    static func writeSnapshot(threads: Int, snapshotPath: String, sizesPath: String, now: Instant) {
        let engine = StormEngine(policy: StormPolicy(), directory: EngineBench.directory(),
                                 ledger: ThreadLedger(limits: LedgerLimits(maxThreads: max(threads, 1))))
        // why: spread over the last ~20 minutes, so nothing is near its time to live when the daemon restores it.
        let span = Int64(max(1, threads / 1_000))
        for i in 0..<threads {
            _ = engine.decide(EngineBench.announcement(i), at: now + (Int64(i / 1_000) - span))
        }
        let bytes = engine.ledger.snapshot(now: now)
        writeFile(snapshotPath, bytes)
        var sizes = ""
        for i in 0..<1_000 { sizes += "list\(i)@\(EngineBench.domain) \(3_000 + i * 47)\n" }
        writeFile(sizesPath, Array(sizes.utf8))
        print("prefill: \(fmt(Double(engine.ledger.threadCount))) threads, snapshot \(fmt(Double(bytes.count))) bytes -> \(snapshotPath); sizes -> \(sizesPath)")
    }

    /// Session text: `sessions` connections of `messages` messages, 20 recipients and 8 headers each.
    /// 90 % ordinary mail, 8 % direct replies into tracked threads (20 people, small audience),
    /// 2 % reply-alls into tracked threads whose list is below the hard gate (counted, accepted).
    /// Every message expects `accept`; the seed picks the threads, so distinct seeds touch
    /// distinct threads and no thread sees 10 reply-alls over a benchmark's repetitions.
    /// `ordinaryOnly`: every message ordinary mail (the same seed, the same people).
    static func sessionText(sessions: Int, messages: Int, tracked: Int, seed: UInt64, recipients: Int = 20,
                            ordinaryOnly: Bool = false) -> String {
        let d = EngineBench.domain
        var rng = SeededRandom(seed: seed &* 0x2545_F491_4F6C_DD1D)
        var out = "# Breakwater session file: breakwater-lab loadfile --sessions \(sessions) --messages \(messages) --tracked \(tracked) --seed \(seed)"
            + (ordinaryOnly ? " --ordinary-only\n" : "\n")
        out.reserveCapacity(sessions * messages * 1_400)
        for s in 1...sessions {
            out += "\nsession bench-\(seed)-\(s)\nconnect mta\(s).\(d) inet 192.0.2.\(s % 250 + 1) 25\nhelo mta\(s).\(d)\n"
            for m in 1...messages {
                let kind = ordinaryOnly ? 0 : rng.below(100)
                let me = "user\(rng.below(50_000))@\(d)"
                var rcpts: [String] = []
                var headers: [(String, String)] = [("From", "<\(me)>")]
                let id = "<b\(seed).\(s).\(m).\(rng.next() % 1_000_000)@mail.\(d)>"
                if kind < 90 {
                    rcpts = (0..<recipients).map { _ in "<user\(rng.below(50_000))@\(d)>" }
                    headers += [("To", rcpts[0]), ("Subject", "Lunch on \(rng.below(30)) November"), ("Message-ID", id)]
                } else {
                    // Threads whose list is below the hard gate (list size 3,000 + 47 k, k < 140).
                    var t = rng.below(max(tracked, 1))
                    if kind >= 98 { t = t - t % 1_000 + t % 140 }
                    if t >= tracked { t = t % 140 }
                    let root = "<\(EngineBench.rootID(t))>"
                    rcpts = ["<sender\(t)@\(d)>"]
                    if kind >= 98 { rcpts.append("<list\(t % 1_000)@\(d)>") }
                    while rcpts.count < recipients { rcpts.append("<user\(rng.below(50_000))@\(d)>") }
                    headers += [("To", rcpts[0]), ("Subject", "Re: Quarterly update number \(t)"), ("Message-ID", id),
                                ("In-Reply-To", root), ("References", root)]
                }
                headers.append(("Date", "Tue, 25 Nov 2026 10:00:00 +0000"))
                var x = 1
                while headers.count < 8 { headers.append(("X-Bench-\(x)", "value \(x)")); x += 1 }
                out += "macro mail i Q\(seed)S\(s)M\(m)\nmail <\(me)> SIZE=2048\n"
                for r in rcpts { out += "rcpt \(r)\n" }
                for (n, v) in headers { out += "header \(n): \(v)\n" }
                out += "body Benchmark message \(s).\(m).\neom\nexpect accept\n"
            }
        }
        return out
    }

    static func writeFile(_ path: String, _ bytes: [UInt8]) {
        guard let f = fopen(path, "w") else { fail("cannot write \(path)") }
        _ = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
    }
}

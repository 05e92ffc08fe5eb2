// The flood run shared by `breakwater-lab ledger-flood` and ReliabilityTests.FloodTests (which
// compiles this same file through the symlink Tests/ReliabilityTests/Flood/FloodRun.swift).
// Self-contained on purpose: StormCore, Replay's SeededRandom and Glibc only, every helper nested in `Flood`.
import Glibc
import Replay
import StormCore

/// Millions of fresh Message-IDs into a capped ledger, with one real storm in the middle.
enum Flood {
    /// What a run saw.
    struct Report: Sendable {
        var ids = 0
        var cap = 0
        /// Largest `threadCount` seen at any check (and at the end).
        var maxThreads = 0
        /// Number of times the thread count was checked.
        var checks = 0
        /// Checks that found more threads than the cap.
        var overCap = 0
        var finalThreads = 0
        var indexedMessages = 0
        var evictions: UInt64 = 0
        /// The reply-all number (1-based) that the storm rule first stopped, nil if none did.
        var trippedAtReply: Int?
        /// Reply-alls of the storm that passed before the trip.
        var passedBeforeTrip = 0
        /// The storm's next reply-all after the flood was stopped by the storm rule.
        var blockedAfterFlood = false
        /// Announcements among the flood ids that the engine did not take as announcements.
        var unexpectedVerdicts = 0
        var residentKiB = 0
        var peakResidentKiB = 0
        var seconds = 0.0
    }

    static let domain = "flood.example"
    static let list = "everyone@flood.example"
    static let listSize = 5_000
    static let tripReplies = 10
    static let stormRoot = "storm-root.0@flood.example"

    static func engine(cap: Int) -> StormEngine {
        var policy = StormPolicy()
        policy.tripReplies = tripReplies
        let (directory, problems) = AudienceDirectory.load([.sizesText(name: "sizes", text: "\(list) \(listSize)\n")])
        precondition(problems.isEmpty, "\(problems)")
        return StormEngine(policy: policy, directory: directory, ledger: ThreadLedger(limits: LedgerLimits(maxThreads: cap)))
    }

    /// A new message from `author` to the large list.
    static func announcement(id: String, author: String, subject: String) -> MessageFacts {
        var h = MessageHeaders()
        h.record(name: "Message-ID", value: "<\(id)>")
        h.record(name: "From", value: "<\(author)>")
        h.record(name: "To", value: list)
        h.record(name: "Subject", value: subject)
        return MessageFacts(sender: "<\(author)>", recipients: ["<\(list)>"], headers: h)
    }

    /// A reply-all from `sender` into the thread started by `root` (written by `author`).
    static func replyAll(id: String, root: String, author: String, sender: String, subject: String) -> MessageFacts {
        var h = MessageHeaders()
        h.record(name: "Message-ID", value: "<\(id)>")
        h.record(name: "From", value: "<\(sender)>")
        h.record(name: "To", value: list)
        h.record(name: "Cc", value: "<\(author)>")
        h.record(name: "In-Reply-To", value: "<\(root)>")
        h.record(name: "References", value: "<\(root)>")
        h.record(name: "Subject", value: "Re: \(subject)")
        return MessageFacts(sender: "<\(sender)>", recipients: ["<\(list)>", "<\(author)>"], headers: h)
    }

    static func stormReply(_ n: Int) -> MessageFacts {
        replyAll(id: "storm-reply.\(n)@\(domain)", root: stormRoot, author: "boss@\(domain)",
                 sender: "user\(n)@\(domain)", subject: "All-hands moved")
    }

    static func isStorm(_ v: Verdict) -> Bool { v.reason == .stopped(.storm) }

    /// Runs `ids` fresh Message-IDs (even: announcements; odd: reply-alls to a thread nobody has
    /// seen) into an engine capped at `cap` threads, checking the thread count every `checkEvery`
    /// ids. At `ids / 2` it injects a storm: an announcement and reply-alls until one is stopped
    /// (at most `tripReplies + 5`). After the flood, one more reply-all to the storm.
    static func run(ids: Int, cap: Int, checkEvery: Int = 100_000, seed: UInt64 = 1,
                    progress: ((Int, Int) -> Void)? = nil) -> Report {
        var report = Report()
        report.ids = ids
        report.cap = cap
        let engine = engine(cap: cap)
        var rng = SeededRandom(seed: seed)
        var clock = Instant(seconds: 1_700_000_000)
        let start = monotonicSeconds()

        func check() {
            let n = engine.ledger.threadCount
            report.checks += 1
            report.maxThreads = max(report.maxThreads, n)
            if n > cap { report.overCap += 1 }
        }

        for i in 0..<ids {
            if i == ids / 2 { injectStorm(engine, at: clock, into: &report) }
            let tag = "\(i).\(rng.next() % 1_000_000_007)"
            if i % 2 == 0 {
                let v = engine.decide(announcement(id: "a\(tag)@\(domain)", author: "sender\(i % 50_000)@\(domain)",
                                                   subject: "Announcement \(tag)"), at: clock)
                if v.reason != .announcement { report.unexpectedVerdicts += 1 }
            } else {
                // why: the parent id is fresh too, so every reply-all starts a thread the ledger never saw.
                _ = engine.decide(replyAll(id: "r\(tag)@\(domain)", root: "unseen\(tag)@\(domain)",
                                           author: "sender\(i % 50_000)@\(domain)", sender: "user\(i % 50_000)@\(domain)",
                                           subject: "Thread \(tag)"), at: clock)
            }
            if i % 1_000 == 999 { clock = clock + 1 }
            if (i + 1) % checkEvery == 0 {
                check()
                progress?(i + 1, engine.ledger.threadCount)
            }
        }
        check()
        report.blockedAfterFlood = isStorm(engine.decide(stormReply(tripReplies + 100), at: clock))
        report.finalThreads = engine.ledger.threadCount
        report.indexedMessages = engine.ledger.indexedMessages
        report.evictions = engine.ledger.evictions
        report.seconds = monotonicSeconds() - start
        report.residentKiB = statusKiB("VmRSS:") ?? 0
        report.peakResidentKiB = statusKiB("VmHWM:") ?? 0
        return report
    }

    static func injectStorm(_ engine: StormEngine, at clock: Instant, into report: inout Report) {
        _ = engine.decide(announcement(id: stormRoot, author: "boss@\(domain)", subject: "All-hands moved"), at: clock)
        for n in 1...(tripReplies + 5) {
            if isStorm(engine.decide(stormReply(n), at: clock)) {
                report.trippedAtReply = n
                return
            }
            report.passedBeforeTrip += 1
        }
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// A `kB` line of /proc/self/status (VmRSS, VmHWM), in KiB.
    static func statusKiB(_ field: String) -> Int? {
        guard let f = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), f) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix(field) {
                return Int(String(text.dropFirst(field.count).filter { $0 >= "0" && $0 <= "9" }))
            }
        }
        return nil
    }
}

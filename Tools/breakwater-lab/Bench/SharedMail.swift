import BreakwaterConfig
import Dispatch
import SharedState
import StormCore

/// The messages and engines of the shared-state benchmarks (`breakwater-lab shared`,
/// `shared-prefill`): the engine benchmark's announcements (one per thread, to a list of
/// 3,000–50,000), reply-alls into those threads from distinct people, ordinary mail.
enum SharedMail {
    static let domain = EngineBench.domain

    /// The storm policy of these runs: the defaults (trip at the 10th reply-all in an hour,
    /// 6 h block) without the hard gate, so that every list's reply-alls reach the storm rules.
    static var policy: StormPolicy {
        var p = StormPolicy()
        p.hardGate = nil
        return p
    }

    /// Reply-all number `j` into thread `t` (an `EngineBench.announcement(t)`): from a person of
    /// its own, to the author and the list.
    static func replyAll(_ t: Int, _ j: Int) -> MessageFacts {
        var h = MessageHeaders()
        let me = "replier\(j).\(t)@\(domain)"
        let root = "<\(EngineBench.rootID(t))>"
        h.record(name: "Message-ID", value: "<ra.\(t).\(j)@mail.\(domain)>")
        h.record(name: "From", value: me)
        h.record(name: "To", value: "sender\(t)@\(domain), list\(t % 1_000)@\(domain)")
        h.record(name: "Subject", value: "Re: Quarterly update number \(t)")
        h.record(name: "In-Reply-To", value: root)
        h.record(name: "References", value: root)
        return MessageFacts(sender: "<\(me)>", recipients: ["<sender\(t)@\(domain)>", "<list\(t % 1_000)@\(domain)>"], headers: h)
    }

    /// Ordinary mail: 20 people no table knows.
    static func ordinary(_ n: Int) -> MessageFacts {
        var h = MessageHeaders()
        let rcpts = (0..<20).map { "<user\((n &* 7 + $0 &* 131) % 50_000)@\(domain)>" }
        h.record(name: "Message-ID", value: "<o.\(n)@mail.\(domain)>")
        h.record(name: "From", value: "user\(n % 50_000)@\(domain)")
        h.record(name: "To", value: rcpts[0])
        h.record(name: "Subject", value: "Lunch on \(n % 30) November")
        return MessageFacts(sender: "<user\(n % 50_000)@\(domain)>", recipients: rcpts, headers: h)
    }

    /// A store on `address` under `prefix`, over a ledger of its own, connected; stops the run
    /// when the server does not answer.
    static func store(_ address: SharedStateAddress, prefix: String, timeout: Duration, maxThreads: Int) -> SharedThreadStore {
        let s = SharedThreadStore(settings: .init(address: address, prefix: prefix, timeout: timeout),
                                  local: ThreadLedger(limits: LedgerLimits(maxThreads: maxThreads)),
                                  log: { level, line in if level != .notice { LabOutput.error(line) } })
        s.maintain(now: clock)
        guard s.isUp else { fail("shared state \(address) is not up: \(s.downReason ?? "?")") }
        return s
    }

    static func engine(_ store: SharedThreadStore) -> StormEngine {
        StormEngine(policy: policy, directory: directory, ledger: store.local, store: store)
    }

    static let directory = EngineBench.directory()
    static let clock = Instant(seconds: 1_700_000_000)

    /// Runs `body(i)` for every i in `range` on `workers` threads (each takes every workers-th i),
    /// so that the server, not one client's round trips, sets the pace of a fill.
    static func fill(_ range: Range<Int>, workers: Int, _ body: @Sendable (Int) -> Void) {
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var i = range.lowerBound + w
            while i < range.upperBound {
                body(i)
                i += workers
            }
        }
    }

    /// `breakwater-lab shared-prefill --redis ADDRESS --threads N [--prefix P] [--workers W] [--reachable]`:
    /// announces the threads `prefill` writes to a snapshot (`EngineBench.announcement(0..<N)`)
    /// to a server through `SharedThreadStore`, so that a daemon restoring that snapshot with
    /// `shared_state` finds the same threads on the server. `--reachable`: only the 14 % that
    /// `loadfile`'s reply-alls pick (lists below the hard gate); its direct replies and ordinary
    /// mail never reach the server.
    static func prefill(_ options: LabOptions) {
        guard let text = options.text("--redis") else { fail("shared-prefill needs --redis ADDRESS") }
        let address: SharedStateAddress
        do { address = try SharedStateAddress(parsing: text) } catch { fail("\(error)") }
        let threads = options.int("--threads", 2_000)
        let prefix = options.text("--prefix") ?? "breakwater:"
        let s = store(address, prefix: prefix, timeout: .seconds(5), maxThreads: threads)
        let engine = engine(s)
        let reachable = options.flag("--reachable")
        let t0 = nanos()
        fill(0..<threads, workers: options.int("--workers", 4)) { i in
            if !reachable || i % 1_000 < 140 { _ = engine.decide(EngineBench.announcement(i), at: clock) }
        }
        let seconds = Double(nanos() - t0) / 1e9
        let counts = s.callCounts
        let announced = Int(counts.shared + counts.local)
        print("shared-prefill: \(fmt(Double(announced))) threads announced to \(address) under \"\(prefix)\" in \(fmt(seconds, 1)) s "
              + "(\(fmt(Double(announced) / seconds))/s); \(counts.local) answered locally")
        if counts.local > 0 { fail("the server did not answer every announcement") }
    }
}

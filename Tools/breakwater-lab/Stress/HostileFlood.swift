import Glibc
import MilterWire
import Synchronization

/// `breakwater-lab hostile`: millions of broken, mutated, truncated, absurd, out-of-order,
/// stalled and vanishing milter sessions against a live daemon, from `--connections` workers
/// at once, with a well-behaved session every `--check-every` sessions that must still get
/// the right verdicts (a direct reply accepted, a reply-all to the 51-mailbox list refused with
/// 550), and the daemon's VmRSS, VmHWM and open fds sampled all along.
///
///   hostile --socket PATH --pid PID [--sessions N] [--connections C] [--seed S]
///           [--check-every K] [--big-every B] [--stall-every T] [--stall-seconds S]
///           [--io-timeout S] [--sample-seconds S] [--fd-slack F] [--smoke] [--avoid-odd-macros]
///           [--replay INDEX [--dump FILE]]
///
/// --avoid-odd-macros: draw a session again when it would send a macro frame with an odd
/// number of strings (a libmilter crash that CMilterGuard now refuses, CHANGELOG.md), to
/// measure a daemon built before that fix.
/// --only: draw only these kinds (names as in the summary table; stalls and big ones stay
/// scheduled unless --stall-every 0 / --big-every 0).
/// --replay: run session INDEX of the seed alone and describe it; --dump writes its bytes.
///
/// The daemon must be configured like Tools/reliability/hostile.sh does it: `all@example.test 50` in
/// a size map and `hard_gate = 40` with `hard_gate_reply = 550 ...`. Exit 0 when every check
/// held, 1 when one failed, 64 on bad usage.
enum HostileFlood {
    struct Settings {
        var socket = ""
        var pid: Int32 = 0
        var sessions = 2_000_000
        var connections = 16
        var seed: UInt64 = 1
        var checkEvery = 1_000
        var bigEvery = 20_000
        var stallEvery = 5_000
        var stallSeconds = 10.0
        var ioTimeout = 30.0
        var sampleSeconds = 5.0
        var fdSlack = 2
        var replay: Int?
        var avoidOddMacros = false
        var only: Set<AbuseKind> = []
    }

    static func settings(_ options: LabOptions) -> Settings? {
        var s = Settings()
        let smoke = options.flag("--smoke")
        if smoke {
            s.sessions = 20_000
            s.checkEvery = 500
            s.bigEvery = 5_000
            s.stallEvery = 2_000
            s.stallSeconds = 6
            s.sampleSeconds = 1
        }
        guard var socket = options.socket, let pid = options.pid else { return nil }
        if socket.hasPrefix("unix:") { socket.removeFirst(5) }
        guard !socket.hasPrefix("inet") else { return nil }
        s.socket = socket
        s.pid = pid
        s.sessions = options.int("--sessions", s.sessions)
        s.connections = max(1, options.int("--connections", s.connections))
        s.seed = options.text("--seed").flatMap { UInt64($0) } ?? s.seed
        s.checkEvery = max(0, options.int("--check-every", s.checkEvery))
        s.bigEvery = max(0, options.int("--big-every", s.bigEvery))
        s.stallEvery = max(0, options.int("--stall-every", s.stallEvery))
        s.stallSeconds = options.double("--stall-seconds", s.stallSeconds)
        s.ioTimeout = options.double("--io-timeout", s.ioTimeout)
        s.sampleSeconds = max(0.2, options.double("--sample-seconds", s.sampleSeconds))
        s.fdSlack = options.int("--fd-slack", s.fdSlack)
        s.replay = options.text("--replay").flatMap { Int($0) }
        s.avoidOddMacros = options.flag("--avoid-odd-macros")
        if let names = options.text("--only") {
            for name in names.split(separator: ",") {
                guard let kind = AbuseKind.allCases.first(where: { $0.name == name }) else { return nil }
                s.only.insert(kind)
            }
        }
        return s
    }

    static func run(_ options: LabOptions) -> Int32 {
        guard let s = settings(options) else {
            LabOutput.error("usage: breakwater-lab hostile --socket [unix:]PATH --pid PID [--sessions N] [--connections C] "
                + "[--seed S] [--check-every K] [--big-every B] [--stall-every T] [--stall-seconds S] [--io-timeout S] "
                + "[--sample-seconds S] [--fd-slack F] [--smoke] [--avoid-odd-macros] [--only KIND,...] [--replay INDEX [--dump FILE]]")
            return 64
        }
        signal(SIGPIPE, SIG_IGN)
        let probe = ProcessProbe(pid: s.pid)
        guard probe.isAlive else {
            LabOutput.error("hostile: no live process \(s.pid)")
            return 1
        }

        // What the daemon negotiates decides which steps the sessions send and which are answered.
        let flags: ProtocolFlags
        do {
            let client = try MilterClient(connectingTo: "unix:\(s.socket)", configuration: .init(timeout: .seconds(30)))
            flags = client.negotiation.flags
            client.quit()
        } catch {
            LabOutput.error("hostile: cannot negotiate with unix:\(s.socket): \(error)")
            return 1
        }
        if let problem = HostileCheck.run(socket: s.socket, n: 0, seed: s.seed) {
            LabOutput.error("hostile: the first well-behaved session failed (\(problem)); the daemon needs "
                + "all@example.test 50 in a size map and hard_gate = 40 with a 550 reply (see Tools/reliability/hostile.sh)")
            return 1
        }
        let catalogue = AbuseCatalogue(seed: s.seed, flags: flags, stallEvery: s.stallEvery, bigEvery: s.bigEvery,
                                       stallSeconds: s.stallSeconds, avoidOddMacros: s.avoidOddMacros, only: s.only)
        let session = HostileSession(socketPath: s.socket, ioTimeout: s.ioTimeout)
        if let index = s.replay {
            return replay(index, catalogue, session, probe, dump: options.text("--dump"))
        }

        // Warm-up: one well-behaved session per worker at once, so libmilter's pool has grown
        // before the baseline is taken.
        let warm = Mutex<[String]>([])
        let warmers = (0..<s.connections).map { w in
            startWorker {
                if let problem = HostileCheck.run(socket: s.socket, n: 1 + w, seed: s.seed) {
                    warm.withLock { $0.append(problem) }
                }
            }
        }
        warmers.forEach(LabThreads.join)
        let warmFailures = warm.withLock { $0 }
        guard let baseline = probe.sample() else {
            LabOutput.error("hostile: the daemon died during the warm-up")
            return 1
        }
        LabOutput.line("hostile: \(s.sessions) sessions, \(s.connections) connections, seed \(s.seed), check every \(s.checkEvery), "
            + "big every \(s.bigEvery), stall every \(s.stallEvery) (held up to \(s.stallSeconds) s), io timeout \(s.ioTimeout) s")
        LabOutput.line("hostile: daemon \(s.pid) negotiated flags 0x\(String(flags.rawValue, radix: 16)); baseline after warm-up: "
            + "VmRSS \(baseline.rssKiB) KiB, VmHWM \(baseline.hwmKiB) KiB, \(baseline.fds) fds, \(baseline.threads) threads")

        let shared = HostileShared()
        shared.tally.withLock {
            $0.checksPassed = s.connections + 1 - warmFailures.count
            $0.checksFailed = warmFailures.count
            $0.checkProblems = warmFailures
        }
        let started = monotonicSeconds()
        let sampler = startWorker {
            sample(shared, probe, s, started: started)
        }
        let workers = (0..<s.connections).map { _ in
            startWorker {
                work(shared, catalogue, session, probe, s)
            }
        }
        workers.forEach(LabThreads.join)
        let elapsed = monotonicSeconds() - started
        shared.finished.store(true, ordering: .sequentiallyConsistent)
        LabThreads.join(sampler)

        // After the flood: one more check, then the fds must come back (bounded poll).
        var tally = shared.tally.withLock { $0 }
        if let problem = HostileCheck.run(socket: s.socket, n: s.sessions + 1, seed: s.seed) {
            tally.checksFailed += 1
            tally.checkProblems.append("after the flood: \(problem)")
        } else {
            tally.checksPassed += 1
        }
        let deadline = monotonicSeconds() + 30
        var end = probe.sample()
        while let e = end, e.fds > baseline.fds + s.fdSlack, monotonicSeconds() < deadline {
            usleep(50_000)
            end = probe.sample()
        }
        let samples = shared.samples.withLock { $0 }
        let report = HostileReport(settings: s, tally: tally, elapsed: elapsed, baseline: baseline, end: end,
                                   alive: probe.isAlive, samples: samples, died: shared.died.load(ordering: .sequentiallyConsistent))
        return report.print()
    }

    /// One worker: claims session indices until all are taken (or the daemon died).
    static func work(_ shared: HostileShared, _ catalogue: AbuseCatalogue, _ session: HostileSession,
                     _ probe: ProcessProbe, _ s: Settings) {
        var local = HostileTally()
        while !shared.died.load(ordering: .relaxed) {
            let i = shared.next.wrappingAdd(1, ordering: .relaxed).oldValue
            guard i < s.sessions else { break }
            if s.checkEvery > 0, i % s.checkEvery == 0 {
                if let problem = HostileCheck.run(socket: s.socket, n: s.sessions + 2 + i, seed: s.seed) {
                    local.checksFailed += 1
                    local.checkProblems.append("before session \(i): \(problem)")
                } else {
                    local.checksPassed += 1
                }
            }
            let plan = catalogue.plan(index: i)
            let result = session.run(plan)
            local.add(plan, result, index: i)
            shared.done.wrappingAdd(1, ordering: .relaxed)
            if result.outcome == .connectFailed, !probe.isAlive {
                shared.died.store(true, ordering: .sequentiallyConsistent)
            }
            if local.sessions >= 200 {
                shared.tally.withLock { $0.merge(local) }
                local = HostileTally()
            }
        }
        shared.tally.withLock { $0.merge(local) }
    }

    /// The sampler: VmRSS, VmHWM, fds every `--sample-seconds`, and a progress line.
    static func sample(_ shared: HostileShared, _ probe: ProcessProbe, _ s: Settings, started: Double) {
        var nextSample = started
        var lastPrint = started
        while !shared.finished.load(ordering: .sequentiallyConsistent) {
            let now = monotonicSeconds()
            if now < nextSample {
                usleep(UInt32(min(0.1, nextSample - now) * 1e6))
                continue
            }
            nextSample += s.sampleSeconds
            let done = shared.done.load(ordering: .relaxed)
            guard let x = probe.sample(), probe.isAlive else {
                shared.died.store(true, ordering: .sequentiallyConsistent)
                LabOutput.line("hostile: the daemon (pid \(s.pid)) is gone after \(done) sessions")
                return
            }
            let row = HostileSample(seconds: now - started, sessions: done, rssKiB: x.rssKiB, hwmKiB: x.hwmKiB,
                                    fds: x.fds, threads: x.threads)
            shared.samples.withLock { $0.append(row) }
            if now - lastPrint >= 4.9 || s.sampleSeconds >= 5 {
                lastPrint = now
                let checks = shared.tally.withLock { ($0.checksPassed, $0.checksFailed) }
                let rate = now > started ? Double(done) / (now - started) : 0
                LabOutput.line("hostile: \(Int(now - started)) s: \(done) sessions (\(Int(rate))/s), checks \(checks.0) passed "
                    + "\(checks.1) failed, VmRSS \(x.rssKiB) KiB, VmHWM \(x.hwmKiB) KiB, \(x.fds) fds, \(x.threads) threads")
            }
        }
    }

    /// `--replay INDEX`: one session, described, run, and its result printed.
    static func replay(_ index: Int, _ catalogue: AbuseCatalogue, _ session: HostileSession, _ probe: ProcessProbe,
                       dump: String?) -> Int32 {
        let plan = catalogue.plan(index: index)
        if let dump {
            let fd = open(dump, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            if fd >= 0 {
                _ = plan.bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                close(fd)
            }
        }
        if let odd = AbuseCatalogue.oddMacroFrame(in: plan.bytes) {
            LabOutput.line("hostile: note: a macro frame with an odd number of strings at byte \(odd)")
        }
        LabOutput.line("hostile: session \(index): \(plan.kind.name): \(plan.detail); \(plan.bytes.count) bytes, "
            + "\(plan.owed.count) answers owed, ending \(plan.ending)")
        let prefix = plan.bytes.prefix(256).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
        LabOutput.line("hostile: first bytes: \(prefix.joined(separator: " "))")
        let result = session.run(plan)
        LabOutput.line("hostile: outcome \(result.outcome.name), \(result.answers) answers, \(result.badReplies) bad replies, "
            + "wrong: \(result.wrong), daemon alive: \(probe.isAlive)")
        return probe.isAlive && result.wrong.isEmpty && result.badReplies == 0 ? 0 : 1
    }
}

/// State the workers and the sampler share.
final class HostileShared: Sendable {
    let next = Atomic<Int>(0)
    let done = Atomic<Int>(0)
    let died = Atomic<Bool>(false)
    let finished = Atomic<Bool>(false)
    let tally = Mutex<HostileTally>(HostileTally())
    let samples = Mutex<[HostileSample]>([])
}

struct HostileSample: Sendable {
    var seconds: Double
    var sessions: Int
    var rssKiB: Int
    var hwmKiB: Int
    var fds: Int
    var threads: Int
}

/// The well-behaved session: a direct reply (must be accepted) and a reply-all to the
/// 51-mailbox list (must get 550 from the hard gate), through MilterWire's client.
enum HostileCheck {
    /// nil when both verdicts were right; otherwise what went wrong.
    static func run(socket: String, n: Int, seed: UInt64) -> String? {
        do {
            let client = try MilterClient(connectingTo: "unix:\(socket)", configuration: .init(timeout: .seconds(30)))
            defer { client.quit() }
            _ = try client.connect(hostname: "checker.example.test", address: .inet(address: "192.0.2.7", port: 40000))
            _ = try client.helo("checker.example.test")
            let root = "check\(n).\(seed)@checker.example"
            let author = "checkauthor@example.test"
            let direct = try client.send(MilterMessage(
                sender: "<checker\(n)@example.test>", recipients: ["<\(author)>"],
                headers: [HeaderField(name: "From", value: "checker\(n)@example.test"), HeaderField(name: "To", value: author),
                          HeaderField(name: "Message-ID", value: "<direct.\(root)>"),
                          HeaderField(name: "In-Reply-To", value: "<\(root)>"), HeaderField(name: "Subject", value: "Re: Check \(n)")]))
            guard direct.verdict == .accept else { return "direct reply got \(direct.verdict)" }
            let gated = try client.send(MilterMessage(
                sender: "<checker\(n)@example.test>", recipients: ["<all@example.test>", "<\(author)>"],
                headers: [HeaderField(name: "From", value: "checker\(n)@example.test"), HeaderField(name: "To", value: "all@example.test"),
                          HeaderField(name: "Cc", value: author), HeaderField(name: "Message-ID", value: "<reply.\(root)>"),
                          HeaderField(name: "In-Reply-To", value: "<\(root)>"), HeaderField(name: "References", value: "<\(root)>"),
                          HeaderField(name: "Subject", value: "Re: Check \(n)")]))
            guard case let .reply(reply) = gated.verdict, reply.code == 550 else {
                return "reply-all to the list got \(gated.verdict)"
            }
            return nil
        } catch {
            return "\(error)"
        }
    }
}

/// A hostile worker (or the sampler) on its own thread; a refused thread stops the run, as a
/// flood with missing workers would measure something else.
private func startWorker(_ body: @escaping @Sendable () -> Void) -> pthread_t {
    guard let thread = LabThreads.start(body) else { preconditionFailure("pthread_create refused a thread") }
    return thread
}

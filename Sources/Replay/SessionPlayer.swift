import MilterWire
import Glibc

/// Plays one session on its own connection, the way Postfix drives a filter: connect, HELO,
/// then each message step by step, stopping at the first final verdict.
struct SessionPlayer {
    let endpoint: MilterEndpoint
    let configuration: MilterClient.Configuration
    /// When offset 0 happens, and how fast offsets pass; nil plays as fast as possible.
    let clock: (origin: ContinuousClock.Instant, speed: Double)?

    /// What happened to each message, with the round trip of each that reached a verdict.
    struct Run {
        var observations: [Observation] = []
        var latencies: [Int64] = []
        var error: String?
    }

    func play(_ session: Session) -> Run {
        var run = Run()
        let offsets = ReplayTiming.offsets(of: session)
        let client: MilterClient
        do {
            if let first = offsets.first { wait(until: first) }
            client = try MilterClient(connectingTo: endpoint, configuration: configuration)
            try client.connect(hostname: session.connect.hostname, address: session.connect.address,
                               macros: session.macros[.connect] ?? [:])
            if let helo = session.helo { try client.helo(helo, macros: session.macros[.helo] ?? [:]) }
        } catch {
            return failed(session, from: 0, error.description, into: run)
        }
        for (index, message) in session.messages.enumerated() {
            wait(until: offsets[index])
            let started = ContinuousClock.now
            do {
                let observation = try send(message, on: client)
                if message.ending == .endOfMessage {
                    let elapsed = ContinuousClock.now - started
                    run.latencies.append(elapsed.components.seconds * 1_000_000_000
                                         + elapsed.components.attoseconds / 1_000_000_000)
                }
                run.observations.append(observation)
            } catch {
                client.quit()
                return failed(session, from: index, error.description, into: run)
            }
        }
        client.quit()
        return run
    }

    /// The rest of the session cannot be played: each unplayed message fails with the reason.
    private func failed(_ session: Session, from index: Int, _ error: String, into run: Run) -> Run {
        var r = run
        r.error = error
        for i in index..<session.messages.count {
            r.observations.append(.failed(i == index ? error : "not sent after: \(error)"))
        }
        return r
    }

    private func send(_ m: ScriptedMessage, on client: MilterClient) throws(ClientError) -> Observation {
        var early: FilterOutcome?
        func note(_ reply: StepReply, _ step: MessageStep) {
            if early == nil, case let .decided(v) = reply { early = FilterOutcome(verdict: v, decidedAt: step) }
        }
        note(try client.mail(from: m.sender.address, arguments: m.sender.arguments, macros: m.macros[.mail] ?? [:]), .mail)
        let rcptMacros = m.macros[.rcpt] ?? [:]
        for r in m.recipients where early == nil {
            note(try client.rcpt(to: r.address, arguments: r.arguments, macros: rcptMacros), .rcpt)
        }
        if early == nil, !m.recipients.isEmpty { note(try client.data(macros: m.macros[.data] ?? [:]), .data) }
        for h in m.headers where early == nil {
            note(try client.header(name: h.name, value: h.value), .header)
        }
        if early == nil, !m.recipients.isEmpty {
            note(try client.endOfHeaders(macros: m.macros[.endOfHeaders] ?? [:]), .endOfHeaders)
        }
        if early == nil, m.body != nil, !m.recipients.isEmpty { note(try client.body(m.bodyBytes), .body) }
        switch m.ending {
        case .abort:
            try client.abort()
            return early.map(Observation.decided) ?? .abortedUndecided
        case .endOfMessage:
            guard !m.recipients.isEmpty || early != nil else {
                // why: an MTA never reaches DATA without a recipient; the message ends there.
                try client.abort()
                return .failed("message has no rcpt line, so it cannot reach end of message")
            }
            return .decided(FilterOutcome(try client.endOfMessage(macros: m.macros[.endOfMessage] ?? [:])))
        }
    }

    /// Sleeps until the offset's moment on the scaled clock (pacing, not synchronisation).
    private func wait(until offset: Int64) {
        guard let clock else { return }
        let due = clock.origin + .nanoseconds(Int64(Double(offset) / clock.speed * 1e9))
        while true {
            let left = due - ContinuousClock.now
            guard left > .zero else { return }
            let (s, atto) = left.components
            var ts = timespec(tv_sec: Int(min(s, 3600)), tv_nsec: Int(atto / 1_000_000_000))
            nanosleep(&ts, nil)
        }
    }
}

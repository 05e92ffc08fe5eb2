import MilterWire
import Replay

/// The abuses that hold the daemon: connections left silent mid-frame or after the handshake
/// (scheduled every `--stall-every` sessions), and messages of absurd size (every `--big-every`).
extension AbuseCatalogue {
    /// A valid session cut inside a frame, then held open, silent.
    func stall(_ n: Int, _ rng: inout SeededRandom) -> SessionPlan {
        let s = validSession(n, &rng)
        let choice = rng.below(3)
        // in the negotiation, mid-MAIL (or whichever frame is 4th), or a bare length header
        let frame = s.frames[[0, min(3, s.frames.count - 1), min(2, s.frames.count - 1)][choice]]
        let cut = choice == 2 ? frame.lowerBound + 4 : frame.lowerBound + 1 + rng.below(frame.count - 1)
        return plan(.stall, Array(s.bytes.prefix(cut)), s.owed(before: cut), "held after byte \(cut), inside frame \(frame)",
                    ending: .hold(seconds: stallSeconds))
    }

    /// A valid handshake, then silence.
    func idle(_ n: Int, _ rng: inout SeededRandom) -> SessionPlan {
        var s = ScriptBuilder(flags: flags)
        s.handshake(n)
        return plan(.idle, s.bytes, s.allOwed, "handshake, then silence", ending: .hold(seconds: stallSeconds))
    }

    /// One message with 100,000 RCPTs.
    func rcpt100k(_ n: Int, _ rng: inout SeededRandom) -> SessionPlan {
        var s = ScriptBuilder(flags: flags)
        s.handshake(n)
        let recipients = (0..<100_000).map { "<r\($0)@big.hostile.example>" }
        s.message(sender: "<bulk\(n)@example.test>", recipients: recipients,
                  headers: [("From", "bulk\(n)@example.test"), ("To", "many@big.hostile.example"),
                            ("Message-ID", "<big.\(seed).\(n)@hostile.example>"), ("Subject", "Big \(n)")],
                  body: Array("big\r\n".utf8), verdict: .anyVerdict, queueID: "B\(n)")
        s.quit()
        return plan(.rcpt100k, s.bytes, s.allOwed, "100,000 RCPTs, \(s.bytes.count) bytes")
    }

    /// One message with a 1 MiB Subject header.
    func header1MiB(_ n: Int, _ rng: inout SeededRandom) -> SessionPlan {
        var s = ScriptBuilder(flags: flags)
        s.handshake(n)
        s.message(sender: "<huge\(n)@example.test>", recipients: ["<one@example.test>"],
                  headers: [("From", "huge\(n)@example.test"), ("Subject", String(repeating: "x", count: 1 << 20))],
                  body: Array("huge\r\n".utf8), verdict: .anyVerdict, queueID: "G\(n)")
        s.quit()
        return plan(.header1MiB, s.bytes, s.allOwed, "a 1 MiB Subject, \(s.bytes.count) bytes")
    }

    /// One message with 10,000 headers.
    func headers10k(_ n: Int, _ rng: inout SeededRandom) -> SessionPlan {
        var s = ScriptBuilder(flags: flags)
        s.handshake(n)
        let headers = [("From", "many\(n)@example.test"), ("To", "one@example.test")]
            + (0..<10_000).map { ("X-Hostile-\($0)", "value \($0)") }
        s.message(sender: "<many\(n)@example.test>", recipients: ["<one@example.test>"], headers: headers,
                  body: Array("many\r\n".utf8), verdict: .anyVerdict, queueID: "M\(n)")
        s.quit()
        return plan(.headers10k, s.bytes, s.allOwed, "10,000 headers, \(s.bytes.count) bytes")
    }
}

import Foundation
import Glibc
import MilterWire
import TestSupport
import Testing

/// Hostile messages get a verdict, never a crash, and the daemon serves the next connection.
/// Driven with MilterWire's client, which can send what Lua cannot (NUL bytes, 50,000 RCPT).
struct HostileInputTests {
    @Test func malformedHeadersAndHugeEnvelopesGetAVerdict() throws {
        let daemon = try TestDaemon("hard_gate = 40")
        defer { daemon.finish() }

        // (what, headers, whether libmilter itself may drop the connection)
        let malformed: [(String, [HeaderField], Bool)] = [
            ("unbalanced References", [HeaderField(name: "References", value: "<<<a@b <c@d <<e"),
                                       HeaderField(name: "In-Reply-To", value: "<unclosed@x")], false),
            ("60 KB Subject", [HeaderField(name: "Subject", value: "Re: " + String(repeating: "x", count: 60_000)),
                               HeaderField(name: "In-Reply-To", value: "<big@x>")], false),
            // why: libmilter refuses any command over 64 KB (MILTER_MAX_DATA_SIZE) and closes the
            // connection before Breakwater sees it; the MTA then applies milter_default_action.
            ("200 KB Subject", [HeaderField(name: "Subject", value: "Re: " + String(repeating: "x", count: 200_000)),
                                HeaderField(name: "In-Reply-To", value: "<big@x>")], true),
            ("NUL bytes", [HeaderField(name: "Subject", value: "Re: a\u{0}b\u{0}c"),
                           HeaderField(name: "Message-ID", value: "<a\u{0}@x>")], false),
            ("1,000 References headers", Array(repeating: HeaderField(name: "References", value: "<a@b> <c@d> <e"), count: 1_000), false),
        ]
        for (what, headers, mayBeDropped) in malformed {
            let client = try daemon.client()
            var message = MilterMessage.replyAll(1, root: "hostile@example.test")
            message.headers = headers
            do {
                let result = try client.send(message)
                let isVerdict: Bool
                switch result.verdict {
                case .accept, .reject, .reply: isVerdict = true
                default: isVerdict = false
                }
                #expect(isVerdict, "\(what): \(result.verdict)\n\(daemon.log)")
            } catch {
                #expect(mayBeDropped, "\(what): \(error)\n\(daemon.log)")
            }
            client.quit()
        }

        // 50,000 recipients, each answered "no reply": one verdict at the end.
        let client = try daemon.client(timeout: .seconds(60))
        let recipients = (0..<50_000).map { "<u\($0)@example.test>" }
        let started = ContinuousClock.now
        let result = try client.send(MilterMessage.replyAll(2, root: "flood@example.test", recipients: recipients))
        let took = ContinuousClock.now - started
        guard case let .reply(reply) = result.verdict else {
            Issue.record("50,000 recipients: \(result.verdict)\n\(daemon.log)")
            return
        }
        #expect(reply.code == 550, "\(reply)")
        #expect(took < .seconds(30), "50,000 recipients took \(took)")
        client.quit()

        // Still serving.
        let direct = try daemon.script("direct")
        #expect(direct.passed, "\(direct.output)\n\(daemon.log)")
    }
}

/// The one timing assertion: over TCP, an edited message must not wait for a delayed ACK.
struct LatencyTests {
    @Test func medianRoundTripOverLoopbackTCPIsUnderTenMilliseconds() throws {
        let port = try TestEnvironment.freePort()
        let daemon = try TestDaemon("add_seen_header = yes", tcpPort: port)
        defer { daemon.finish() }
        let client = try daemon.client()
        var times: [Duration] = []
        for n in 0..<20 {
            let message = MilterMessage(
                sender: "<a@example.test>", recipients: ["<b@example.test>"],
                headers: [HeaderField(name: "Message-ID", value: "<m\(n)@example.test>"),
                          HeaderField(name: "Subject", value: "hello \(n)")])
            let started = ContinuousClock.now
            let result = try client.send(message)
            times.append(ContinuousClock.now - started)
            #expect(result.addedHeaders.first?.name == "X-Breakwater", "\(result)")
        }
        client.quit()
        let median = times.sorted()[times.count / 2]
        #expect(median < .milliseconds(10), "median \(median) of \(times)")
        #expect(!daemon.log.contains("TCP_NODELAY not set"), "\(daemon.log)")
    }
}

import Testing
@testable import MilterWire
import TestSupport

// The client against real libmilter: the C fixture in Tests/Fixtures/nullfilter.
// Skipped (with this reason) only when no C compiler is installed.

private let withCompiler = ConditionTrait.enabled(if: NullFilter.compilerPath != nil,
                                                  "no C compiler (cc) to build the libmilter fixture")

private func message(from sender: String = "<alice@example.org>",
                     to recipients: [String] = ["<a@x>", "<b@x>", "<c@x>"],
                     extra: [HeaderField] = []) -> MilterMessage {
    MilterMessage(sender: sender, recipients: recipients,
                  headers: [HeaderField(name: "Subject", value: "hello"),
                            HeaderField(name: "Message-ID", value: "<m1@example.org>")] + extra,
                  body: Array("Hi all.\r\n".utf8),
                  macros: [.mail: ["i": "Q1", "{mail_addr}": "alice@example.org", "{auth_type}": "PLAIN"]])
}

private func header(_ name: String, in result: MessageResult) -> String? {
    result.addedHeaders.first { $0.name == name }?.value
}

@Test(withCompiler) func everyStepAnsweredByDefaultNegotiation() throws {
    let filter = try NullFilter(answersOnlyEndOfMessage: false)
    let milter = try filter.client()
    #expect(!milter.negotiation.flags.contains(.noReplyRcpt), "libmilter's default answers every step")
    try milter.connect(hostname: "client.example", address: .inet(address: "192.0.2.7", port: 40000))
    try milter.helo("client.example")

    let plain = try milter.send(message())
    #expect(plain.verdict == .accept)
    #expect(plain.decidedAt == .endOfMessage)
    #expect(header("X-Null", in: plain) == "seen")
    #expect(header("X-Null-Rcpts", in: plain) == "3")
    #expect(header("X-Null-Macros", in: plain) == "i=Q1 auth=PLAIN", "no list asked for: all macros sent")

    let refused = try milter.send(message(to: ["<a@x>", "<refuse@x>", "<c@x>"]))
    #expect(refused.rejectedRecipients == [RejectedRecipient(recipient: "<refuse@x>", verdict: .reject)])
    #expect(header("X-Null-Rcpts", in: refused) == "2")

    let early = try milter.send(message(from: "<reject-at-mail@x>"))
    #expect(early.verdict == .reject)
    #expect(early.decidedAt == .mail)

    let accepted = try milter.send(message(extra: [HeaderField(name: "X-Early", value: "accept")]))
    #expect(accepted.verdict == .accept)
    #expect(accepted.decidedAt == .header)
    #expect(accepted.addedHeaders.isEmpty, "the filter was done before end of message")

    let replied = try milter.send(message(extra: [HeaderField(name: "X-Test-Reply", value: "1")]))
    #expect(replied.verdict == .reply(try SMTPReply(parsing: "550 5.7.1 blocked by test")))

    let held = try milter.send(message(extra: [HeaderField(name: "X-Test-Quarantine", value: "1"),
                                               HeaderField(name: "X-Test-Rcpt", value: "1")]))
    #expect(held.verdict == .accept)
    #expect(held.quarantineReason == "held by test")
    #expect(held.addedRecipients == ["<added@test>"])
    #expect(held.deletedRecipients == ["<a@x>"])

    let after = try milter.send(message())
    #expect(after.verdict == .accept, "the session goes on after early verdicts")
    #expect(header("X-Null-Rcpts", in: after) == "3")
    milter.quit()
}

@Test(withCompiler) func onlyEndOfMessageAnsweredWhenTheFilterSaysSo() throws {
    let filter = try NullFilter(answersOnlyEndOfMessage: true)
    let milter = try filter.client()
    let wanted: ProtocolFlags = [.noReplyMail, .noReplyRcpt, .noReplyHeader, .noReplyEndOfHeaders,
                                 .noConnect, .noHelo, .noBody, .noData, .noUnknown]
    #expect(milter.negotiation.flags.isSuperset(of: wanted))
    #expect(milter.negotiation.macros[.mail] == ["i", "{mail_addr}"])
    try milter.connect(hostname: "client.example", address: .inet(address: "192.0.2.7", port: 40000))
    try milter.helo("client.example")

    for round in 1...3 {
        let before = milter.statistics.roundTrips
        let result = try milter.send(message(extra: round == 2 ? [HeaderField(name: "X-Test-Reply", value: "1")] : []))
        #expect(milter.statistics.roundTrips - before == 1, "one round trip a message: end of message")
        #expect(header("X-Null", in: result) == "seen")
        #expect(header("X-Null-Rcpts", in: result) == "3")
        #expect(header("X-Null-Macros", in: result) == "i=Q1 auth=-", "only the macros the filter listed")
        if round == 2 {
            #expect(result.verdict == .reply(try SMTPReply(parsing: "550 5.7.1 blocked by test")))
        } else {
            #expect(result.verdict == .accept)
        }
    }
    milter.quit()
}

@Test(withCompiler) func manyMessagesOnOneConnectionWithAbortsBetween() throws {
    let filter = try NullFilter(answersOnlyEndOfMessage: true)
    let milter = try filter.client()
    try milter.connect(hostname: "client.example", address: .unknown)
    for n in 0..<200 {
        if n.isMultiple(of: 10) {
            try milter.mail(from: "<abandoned@x>")
            try milter.rcpt(to: "<a@x>")
            try milter.abort()
        }
        let result = try milter.send(message(to: (0...(n % 5)).map { "<r\($0)@x>" }))
        #expect(header("X-Null-Rcpts", in: result) == String(n % 5 + 1))
    }
    milter.quit()
}

@Test(withCompiler) func overTCPWithEitherSocketSpelling() throws {
    let filter = try NullFilter(answersOnlyEndOfMessage: true, tcpPort: TestEnvironment.freePort())
    let milter = try filter.client()
    try milter.connect(hostname: "client.example", address: .inet6(address: "2001:db8::7", port: 40000))
    let result = try milter.send(message())
    #expect(result.verdict == .accept)
    #expect(header("X-Null", in: result) == "seen")
    milter.quit()
}

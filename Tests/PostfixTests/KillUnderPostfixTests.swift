import Foundation
import Glibc
import Replay
import TestSupport
import Testing

extension PostfixDeliveryTests {
    /// Breakwater is SIGKILLed at random points of SMTP transactions (before the connection,
    /// after MAIL, after RCPT, before the final dot) and restarted after a random number of
    /// messages. Every message ends as Postfix says: 250 (then delivered), 4xx (the client
    /// retries once Breakwater is back, as an MTA would), or 5xx (refused, the client has it).
    /// None may vanish: a 250 without a delivery, or a transaction with no reply at all.
    ///
    /// Messages: `BREAKWATER_FAULT_SMTP_MESSAGES` (default 30), kills
    /// `BREAKWATER_FAULT_SMTP_KILLS` (default 3), seed `BREAKWATER_FAULT_SEED` (default 9).
    @Test func noMailVanishesWhenBreakwaterIsKilledMidTransaction() throws {
        let environment = ProcessInfo.processInfo.environment
        let total = environment["BREAKWATER_FAULT_SMTP_MESSAGES"].flatMap { Int($0) } ?? 30
        let kills = min(environment["BREAKWATER_FAULT_SMTP_KILLS"].flatMap { Int($0) } ?? 3, total)
        var random = SMTPKillRandom(seed: environment["BREAKWATER_FAULT_SEED"].flatMap { UInt64($0) } ?? 9)
        let killAt = Set((1...total).shuffled(using: &random).prefix(kills))

        try withBreakwater("storm_reply = 550 5.7.1 Storm in {subject}\nsnapshot_interval = 1s\ncontrol_socket =") { daemon, smtp in
            let thread = StormThread(tag: "killed")
            try accepted(thread.announcement, smtp)
            #expect(postfix.waitForDeliveries(of: thread.rootID, count: PrivatePostfix.listSize), "\(daemon.log)")

            var mails: [TestMail] = []
            var final: [String: SMTPReply] = [:]
            var firstTries: [Int: Int] = [:]
            var isDown = false
            var downLeft = 0      // messages still to send to the dead milter before the restart
            var steps: [String] = []
            for n in 1...total {
                let mail = Int.random(in: 0..<3, using: &random) == 0 ? thread.directReply(n) : thread.replyAll(n)
                mails.append(mail)
                let step = killAt.contains(n) && !isDown ? SMTPKillStep.allCases.randomElement(using: &random)! : nil
                if let step { steps.append("\(n):\(step)") }
                let reply = try SteppedSMTP.send(mail, port: postfix.smtpPort, killing: step) { daemon.kill() }
                final[mail.messageID] = reply
                firstTries[reply.code / 100, default: 0] += 1
                if step != nil {
                    isDown = true
                    downLeft = Int.random(in: 0...2, using: &random)
                } else if isDown {
                    downLeft -= 1
                }
                if isDown && downLeft <= 0 {
                    try daemon.restart()
                    isDown = false
                }
            }
            if isDown { try daemon.restart() }

            // The client retries every 4xx, as an MTA does, until none is left (bounded).
            var retries = 0
            for _ in 0..<3 {
                let pending = mails.filter { (final[$0.messageID]?.code ?? 0) / 100 == 4 }
                if pending.isEmpty { break }
                for mail in pending {
                    final[mail.messageID] = try SteppedSMTP.send(mail, port: postfix.smtpPort, killing: nil) {}
                    retries += 1
                }
            }
            try Tool.run("postqueue", ["-c", postfix.etc, "-f"], in: postfix.root)
            #expect(postfix.waitUntilQueueSettles(), "queue: \(postfix.queue())")

            var delivered = 0, refused = 0, vanished: [String] = [], unexpected: [String] = []
            for mail in mails {
                guard let reply = final[mail.messageID] else { vanished.append("\(mail.messageID): no reply"); continue }
                let copies = postfix.mailboxes(holding: mail.messageID).count
                switch reply.code / 100 {
                case 2:
                    if copies > 0 { delivered += 1 } else { vanished.append("\(mail.messageID): 250 but not delivered") }
                case 5:
                    refused += 1
                    if copies > 0 { unexpected.append("\(mail.messageID): refused (\(reply)) yet delivered") }
                    if mail.recipients.count == 1 { unexpected.append("\(mail.messageID): a direct reply refused: \(reply)") }
                    if !reply.text.contains("Storm in") { unexpected.append("\(mail.messageID): \(reply)") }
                default:
                    unexpected.append("\(mail.messageID): still \(reply) after \(retries) retries")
                }
            }
            let warnings = postfix.maillog.split(separator: "\n").filter { $0.contains("milter") && $0.contains("warning:") }
            let milterErrors = warnings.count
            // The kinds of failure Postfix saw, without queue ids and socket paths.
            let kinds = Set(warnings.map { line -> String in
                let text = line.components(separatedBy: "warning: ").last ?? ""
                return text.replacingOccurrences(of: postfix.milterSocket, with: "SOCKET")
                    .replacingOccurrences(of: #"^[0-9A-F]+: "#, with: "", options: .regularExpression)
            })
            print("reliability: Postfix kill test: \(total) messages, kills at \(steps.sorted()); first tries by class \(firstTries.sorted { $0.key < $1.key }); "
                  + "retries \(retries); final: \(delivered) delivered, \(refused) refused 5xx, \(vanished.count) vanished; "
                  + "Postfix milter warnings \(milterErrors): \(kinds.sorted())")
            #expect(vanished.isEmpty, "\(vanished)\n\(postfix.maillog.suffix(3000))")
            #expect(unexpected.isEmpty, "\(unexpected)\n\(daemon.log.suffix(3000))")
            #expect(delivered + refused == total)
            // Each kill met its own message: with milter_default_action = tempfail, a 4xx.
            #expect(firstTries[4, default: 0] >= steps.count, "messages that met the dead milter: \(firstTries)")
        }
    }
}

/// Where in an SMTP transaction Breakwater is killed.
enum SMTPKillStep: CaseIterable {
    case beforeConnect, afterMail, afterRecipients, beforeFinalDot

    /// The same point as `SMTPClient` names it (none before the connection).
    var transactionStep: SMTPClient.Step? {
        switch self {
        case .beforeConnect: nil
        case .afterMail: .afterMail
        case .afterRecipients: .afterRecipients
        case .beforeFinalDot: .beforeFinalDot
        }
    }
}

/// One message per SMTP connection, step by step, so a kill can fall between two steps. Returns
/// the first refusal or the reply to the final dot. A connection lost after the greeting comes
/// back as a made-up `421 connection lost`, which an MTA treats like any 4xx: keep and retry.
enum SteppedSMTP {
    static func send(_ mail: TestMail, port: UInt16, killing step: SMTPKillStep?, kill: () -> Void) throws -> SMTPReply {
        if step == .beforeConnect { kill() }
        do {
            let smtp = try SMTPClient(port: port)
            defer { smtp.quit() }
            return try smtp.send(mail) { at in if at == step?.transactionStep { kill() } }
        } catch let error as SMTPError {
            return SMTPReply(code: 421, text: "connection lost: \(error)")
        }
    }
}

typealias SMTPKillRandom = SeededRandom

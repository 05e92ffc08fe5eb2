import Foundation
import Glibc
import TestSupport
import Testing

extension PostfixDeliveryTests {
    /// Breakwater stops mid-storm. With `milter_default_action = tempfail`, Postfix refuses SMTP
    /// mail with 451 4.7.1 (the client keeps it) and keeps sendmail mail in its queue; once the
    /// daemon is back and the queue flushed, every message is delivered or judged — none lost.
    @Test func noMailIsLostWhileBreakwaterIsDown() throws {
        try withBreakwater("storm_reply = 550 5.7.1 Storm in {subject}") { daemon, smtp in
            let thread = StormThread(tag: "outage")
            try replyAllsUpToTheTripPoint(thread, smtp, daemon)
            #expect(daemon.stop().ending == .exited(0), "\(daemon.log)")

            let bySMTP = [thread.directReply(11), thread.replyAll(12)]
            let bySendmail = [thread.directReply(13), thread.replyAll(14)]
            let down = try SMTPClient(port: postfix.smtpPort)
            for mail in bySMTP {
                let reply = try down.send(mail)
                #expect(reply.code == 451 && reply.text.hasPrefix("4.7.1"), "\(mail.messageID): \(reply)")
            }
            down.quit()
            for mail in bySendmail { try postfix.sendmail(mail) }
            // Postfix keeps both: pickup cannot hand them to cleanup while the milter is away.
            let queued = TestEnvironment.waitUntil(seconds: 30) {
                postfix.maillog.components(separatedBy: "connect to Milter service unix:\(postfix.milterSocket)").count > bySendmail.count
            }
            #expect(queued, "\(postfix.maillog.suffix(3000))")
            #expect(postfix.queue().count == bySendmail.count, "queue: \(postfix.queue())")
            for mail in bySMTP + bySendmail { #expect(postfix.mailboxes(holding: mail.messageID).isEmpty) }

            try daemon.restart()
            try Tool.run("postqueue", ["-c", postfix.etc, "-f"], in: postfix.root)
            // The SMTP client retries, as any MTA would after a 4xx.
            let up = try SMTPClient(port: postfix.smtpPort)
            var smtpRefusals: [String: SMTPReply] = [:]
            for mail in bySMTP {
                let reply = try up.send(mail)
                if reply.code >= 500 { smtpRefusals[mail.messageID] = reply } else {
                    #expect(reply.code == 250, "\(mail.messageID): \(reply)")
                }
            }
            up.quit()
            #expect(postfix.waitUntilQueueSettles(), "queue: \(postfix.queue())")

            // Every message accounted for: delivered, or refused with Breakwater's storm text.
            #expect(postfix.waitForDeliveries(of: thread.directReply(11).messageID, count: 1))
            #expect(postfix.waitForDeliveries(of: thread.directReply(13).messageID, count: 1))
            #expect(smtpRefusals[thread.replyAll(12).messageID]?.text == "5.7.1 Storm in Welcome outage",
                    "the ledger came back from the snapshot: \(smtpRefusals)")
            let sendmailRefusal = postfix.maillog.split(separator: "\n").contains {
                $0.contains("milter-reject: END-OF-MESSAGE") && $0.contains("Storm in Welcome outage")
                    && $0.contains("from=<user14@corp.test>")
            }
            #expect(sendmailRefusal, "\(postfix.maillog.suffix(3000))")
            for mail in [thread.replyAll(12), thread.replyAll(14)] {
                #expect(postfix.mailboxes(holding: mail.messageID).isEmpty)
            }
        }
    }

    /// The admin adds a list to Postfix's map and runs postmap; SIGUSR1 makes Breakwater read it.
    @Test func aReloadPicksUpAListAddedToPostfixsMap() throws {
        try withBreakwater { daemon, _ in
            let before = "audience: Postfix's maps (\(postfix.etc)) and 0 tables: 4 lists, \(PrivatePostfix.listSize) mailboxes"
            #expect(daemon.waitForLog(before), "\(daemon.log)")
            let virtual = "\(postfix.etc)/virtual"
            let text = try String(contentsOfFile: virtual, encoding: .utf8)
            try Tool.write(text + "newlist@corp.test  user1@corp.test, outsider@elsewhere.test\n", to: virtual)
            try Tool.run("postmap", ["-c", postfix.etc, "hash:\(virtual)"], in: postfix.root)
            daemon.process.send(SIGUSR1)
            let after = ": Postfix's maps (\(postfix.etc)) and 0 tables: 5 lists, \(PrivatePostfix.listSize + 1) mailboxes"
            #expect(daemon.waitForLog("reloaded \(daemon.configPath)\(after)"), "\(daemon.log)")
        }
    }
}

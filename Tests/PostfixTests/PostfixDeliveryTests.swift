import Foundation
import TestSupport
import Testing

/// Real mail through a private Postfix with Breakwater as its milter: SMTP replies as the
/// client sees them, and delivered files counted in the mailboxes. One Postfix for the suite;
/// each scenario runs its own daemon and its own thread, one after another.
@Suite(.serialized, .privatePostfix, .enabled(if: Tool.postfixUsable, "needs Postfix (apt-get install postfix) and root"))
struct PostfixDeliveryTests {
    static let everyone = PrivatePostfix.listSize + 1   // the list, and the author in Cc

    var postfix: PrivatePostfix { PrivatePostfix.current! }

    /// Runs `body` with a fresh daemon configured with `settings`; the daemon log is attached to
    /// any failure, and the daemon is always killed.
    func withBreakwater(_ settings: String = "", _ body: (TestDaemon, SMTPClient) throws -> Void) throws {
        let daemon = try postfix.startBreakwater(settings)
        defer { daemon.finish() }
        let smtp = try SMTPClient(port: postfix.smtpPort)
        defer { smtp.quit() }
        try body(daemon, smtp)
        #expect(postfix.waitUntilQueueSettles(), "queue: \(postfix.queue())")
    }

    /// Sends and expects Postfix's `250 ... queued as`.
    @discardableResult
    func accepted(_ mail: TestMail, _ smtp: SMTPClient, sourceLocation: SourceLocation = #_sourceLocation) throws -> SMTPReply {
        let reply = try smtp.send(mail)
        // why the maillog: a 4xx here is Postfix's milter_default_action, and only its log says
        // what went wrong between it and the milter (refused, timed out, a bad packet).
        #expect(reply.code == 250 && reply.queueID != nil,
                "\(mail.messageID): \(reply)\nmaillog:\n\(reply.code == 250 ? "" : postfix.maillog.split(separator: "\n").suffix(15).joined(separator: "\n"))",
                sourceLocation: sourceLocation)
        return reply
    }

    /// The announcement and three reply-alls, each delivered to everybody; the storm is then armed.
    func replyAllsUpToTheTripPoint(_ thread: StormThread, _ smtp: SMTPClient, _ daemon: TestDaemon) throws {
        try accepted(thread.announcement, smtp)
        #expect(postfix.waitForDeliveries(of: thread.rootID, count: PrivatePostfix.listSize), "\(daemon.log)")
        for n in 1...3 {
            try accepted(thread.replyAll(n), smtp)
            #expect(postfix.waitForDeliveries(of: thread.replyAll(n).messageID, count: Self.everyone))
        }
    }

    @Test func anAnnouncementReachesEveryMailboxAndADirectReplyReachesTheAuthor() throws {
        try withBreakwater { daemon, smtp in
            #expect(daemon.waitForLog("audience: Postfix's maps (\(postfix.etc))"), "\(daemon.log)")
            let thread = StormThread(tag: "announce")
            try accepted(thread.announcement, smtp)
            #expect(postfix.waitForDeliveries(of: thread.rootID, count: PrivatePostfix.listSize))
            #expect(postfix.mailboxes(holding: thread.rootID).contains("user137"), "nested group-b reached")
            try accepted(thread.directReply(5), smtp)
            #expect(postfix.waitForDeliveries(of: thread.directReply(5).messageID, count: 1))
            #expect(postfix.mailboxes(holding: thread.directReply(5).messageID) == ["author"])
        }
    }

    @Test func reply_allsPassUntilTheTripPointThenGetThe5xxAtEndOfData() throws {
        try withBreakwater("storm_reply = 550 5.7.1 Storm in {subject}: {audience} mailboxes, {replies} replies") { daemon, smtp in
            let thread = StormThread(tag: "reject")
            try replyAllsUpToTheTripPoint(thread, smtp, daemon)
            let fourth = try smtp.send(thread.replyAll(4))
            // 201 = 200 from Postfix's nested virtual map (read with postmap -s) + the author.
            #expect(fourth.code == 550, "\(fourth)\n\(daemon.log)")
            #expect(fourth.text == "5.7.1 Storm in Welcome reject: 201 mailboxes, 3 replies", "\(fourth)")
            // A direct reply in the blocked thread still passes.
            try accepted(thread.directReply(9), smtp)
            #expect(postfix.waitForDeliveries(of: thread.directReply(9).messageID, count: 1))
            #expect(postfix.mailboxes(holding: thread.replyAll(4).messageID).isEmpty)
        }
    }

    /// A reply-all whose To header names 1,100 more people and whose Subject is folded over
    /// 1,100 lines (each ~90 KB as sent) still gets Breakwater's own verdict, not Postfix's
    /// milter_default_action. Measured here: Postfix 3.7 cuts each such header to about 60 KB
    /// before the milter sees it (To by header_address_token_limit), so it stays under
    /// libmilter's default 64 KiB command limit; the daemon raises that limit to 1 MiB anyway
    /// for other MTAs (HostileSessionTests sends a 900 KB header).
    @Test func aReplyAllWithHugeHeadersStillGetsBreakwatersVerdict() throws {
        try withBreakwater { daemon, smtp in
            let thread = StormThread(tag: "bigheader")
            try replyAllsUpToTheTripPoint(thread, smtp, daemon)
            let people = (1...1_100).map { "\"Member number \($0) of the whole organisation\" <member\($0)@elsewhere.test>" }
            func padded(_ mail: TestMail) -> TestMail {
                var mail = mail
                let to = (mail.recipients + people).joined(separator: ",\r\n ")
                mail.headers = mail.headers.map { $0.0 == "To" ? ("To", to) : $0 }
                mail.headers = mail.headers.map {
                    $0.0 == "Subject" ? ("Subject", ([$0.1] + people.map { "(for \($0))" }).joined(separator: "\r\n ")) : $0
                }
                return mail
            }
            let big = padded(thread.replyAll(4))
            for name in ["To", "Subject"] {
                let size = big.headers.first { $0.0 == name }!.1.utf8.count
                #expect(size > 65_536 && size < 102_400, "\(name) header is \(size) bytes")
            }
            let refused = try smtp.send(big)
            #expect(refused.code == 550 && refused.text.contains("Reply-all storm"), "\(refused)\n\(daemon.log)")
            let direct = padded(thread.directReply(6))
            try accepted(direct, smtp)
            #expect(postfix.waitForDeliveries(of: direct.messageID, count: 1), "\(daemon.log)")
        }
    }

    @Test func aStormCanDeferWithA4xxInstead() throws {
        try withBreakwater("storm_action = defer\nstorm_reply = 451 4.7.1 Storm in {subject}, try later") { daemon, smtp in
            let thread = StormThread(tag: "defer")
            try replyAllsUpToTheTripPoint(thread, smtp, daemon)
            let fourth = try smtp.send(thread.replyAll(4))
            #expect(fourth.code == 451 && fourth.text == "4.7.1 Storm in Welcome defer, try later", "\(fourth)")
        }
    }

    @Test func aHeldReplyWaitsInPostfixsHoldQueue() throws {
        try withBreakwater("storm_action = hold\nstorm_reply = held: storm in {subject}") { daemon, smtp in
            let thread = StormThread(tag: "hold")
            try replyAllsUpToTheTripPoint(thread, smtp, daemon)
            let fourth = try accepted(thread.replyAll(4), smtp)
            let held = TestEnvironment.waitUntil(seconds: 30) {
                postfix.queue().contains(QueuedMessage(queueID: fourth.queueID ?? "-", queueName: "hold"))
            }
            #expect(held, "queue: \(postfix.queue())\n\(daemon.log)")
            #expect(postfix.mailboxes(holding: thread.replyAll(4).messageID).isEmpty)
            #expect(postfix.maillog.contains("\(fourth.queueID ?? "-"): milter-hold: END-OF-MESSAGE"), "\(postfix.maillog.suffix(2000))")
            _ = try? Tool.run("postsuper", ["-c", postfix.etc, "-d", fourth.queueID ?? "-", "hold"], in: postfix.root)
        }
    }

    @Test func aTrimmedReplyReachesOnlyTheThreadsAuthor() throws {
        try withBreakwater("storm_action = trim") { daemon, smtp in
            let thread = StormThread(tag: "trim")
            try replyAllsUpToTheTripPoint(thread, smtp, daemon)
            try accepted(thread.replyAll(4), smtp)
            #expect(postfix.waitUntilQueueSettles())
            // A reply-all names the author too: that entry stays, every other one goes.
            #expect(postfix.mailboxes(holding: thread.replyAll(4).messageID) == ["author"], "\(daemon.log)")
        }
    }

    @Test func theStormMailReachesThePostmasterThroughPostfixBySMTP() throws {
        try withBreakwater("notify_mail = \(PrivatePostfix.author)\nnotify_relay = 127.0.0.1:\(postfix.smtpPort)") { daemon, smtp in
            let thread = StormThread(tag: "notify")
            try replyAllsUpToTheTripPoint(thread, smtp, daemon)
            let box = "\(postfix.mailBase)/\(PrivatePostfix.domain)/author/new"
            func stormMails() -> [String] {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: box)) ?? []
                return names.compactMap { try? String(contentsOfFile: "\(box)/\($0)", encoding: .utf8) }
                    .filter { $0.contains("Subject: Reply-all storm stopped:") }
            }
            #expect(TestEnvironment.waitUntil(seconds: 60) { !stormMails().isEmpty }, "\(daemon.log)\n\(postfix.maillog)")
            let mail = try #require(stormMails().first)
            #expect(mail.contains("Auto-Submitted: auto-generated"), "\(mail)")
            #expect(mail.contains("Return-Path: <>"), "the null sender, so it can never bounce into a loop: \(mail)")
            #expect(stormMails().count == 1)
        }
    }

    @Test func tagOnlyDeliversEverythingWithTheBreakwaterHeader() throws {
        try withBreakwater("storm_action = tag") { daemon, smtp in
            let thread = StormThread(tag: "tag")
            try replyAllsUpToTheTripPoint(thread, smtp, daemon)
            try accepted(thread.replyAll(4), smtp)
            #expect(postfix.waitForDeliveries(of: thread.replyAll(4).messageID, count: Self.everyone), "\(daemon.log)")
            let copy = try #require(postfix.deliveredFiles(holding: thread.replyAll(4).messageID).first)
            let text = try String(contentsOfFile: copy, encoding: .utf8)
            #expect(text.contains("X-Breakwater: would-stop; rule=storm; audience=201"), "\(text)")
            let earlier = try #require(postfix.deliveredFiles(holding: thread.replyAll(2).messageID).first)
            #expect(!(try String(contentsOfFile: earlier, encoding: .utf8)).contains("would-stop"))
        }
    }

    @Test func sendmailSubmissionsAreJudgedTheSameWay() throws {
        try withBreakwater("storm_reply = 550 5.7.1 Storm in {subject}") { daemon, _ in
            let thread = StormThread(tag: "sendmail")
            try postfix.sendmail(thread.announcement)
            #expect(postfix.waitForDeliveries(of: thread.rootID, count: PrivatePostfix.listSize), "\(daemon.log)")
            for n in 1...3 {
                try postfix.sendmail(thread.replyAll(n))
                #expect(postfix.waitForDeliveries(of: thread.replyAll(n).messageID, count: Self.everyone))
            }
            // No SMTP client to answer: Postfix logs the milter's refusal and bounces to the sender.
            try postfix.sendmail(thread.replyAll(4))
            let refusal = "milter-reject: END-OF-MESSAGE from localhost[127.0.0.1]: 5.7.1 Storm in Welcome sendmail"
            #expect(TestEnvironment.waitUntil(seconds: 30) { postfix.maillog.contains(refusal) },
                    "\(postfix.maillog.suffix(3000))\n\(daemon.log)")
            #expect(postfix.waitUntilQueueSettles())
            #expect(postfix.mailboxes(holding: thread.replyAll(4).messageID).isEmpty)
        }
    }
}

import Foundation

/// One scenario's thread on the private Postfix: an announcement to all@corp.test by the
/// author, and replies from list members. Names carry the scenario's tag so nothing mixes.
struct StormThread {
    let tag: String
    var subject: String { "Welcome \(tag)" }
    var rootID: String { "<root.\(tag)@corp.test>" }

    /// The announcement to the whole list.
    var announcement: TestMail {
        TestMail(sender: PrivatePostfix.author, recipients: ["all@corp.test"], headers: [
            ("From", "Author <\(PrivatePostfix.author)>"), ("To", "all@corp.test"), ("Subject", subject),
            ("Message-ID", rootID), ("Date", "Tue, 25 Nov 2025 10:00:00 +0000"),
        ])
    }

    /// A reply from user`n` to the list and the author: a reply-all.
    func replyAll(_ n: Int) -> TestMail {
        reply(n, to: ["all@corp.test", PrivatePostfix.author], id: "<reply-all\(n).\(tag)@corp.test>")
    }

    /// A reply from user`n` to the author alone.
    func directReply(_ n: Int) -> TestMail {
        reply(n, to: [PrivatePostfix.author], id: "<direct\(n).\(tag)@corp.test>")
    }

    private func reply(_ n: Int, to recipients: [String], id: String) -> TestMail {
        TestMail(sender: "user\(n)@corp.test", recipients: recipients, headers: [
            ("From", "User \(n) <user\(n)@corp.test>"), ("To", recipients.joined(separator: ", ")),
            ("Subject", "Re: \(subject)"), ("Message-ID", id), ("In-Reply-To", rootID), ("References", rootID),
            ("Date", "Tue, 25 Nov 2025 10:05:00 +0000"),
        ])
    }
}

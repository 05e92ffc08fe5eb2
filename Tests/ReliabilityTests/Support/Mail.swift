import MilterWire

/// The mail of the tests: an original to the big list, reply-alls to it, a direct reply.
enum Mail {
    static func original(root: String, subject: String = "Welcome") -> MilterMessage {
        MilterMessage(sender: "<boss@example.test>", recipients: ["<all@example.test>"],
                      headers: [HeaderField(name: "From", value: "Boss <boss@example.test>"),
                                HeaderField(name: "To", value: "all@example.test"),
                                HeaderField(name: "Message-ID", value: "<\(root)>"),
                                HeaderField(name: "Subject", value: subject)])
    }

    /// A reply-all from userN: to the list and the author, so it reaches 51 mailboxes.
    static func replyAll(_ n: Int, root: String, subject: String = "Welcome") -> MilterMessage {
        MilterMessage(sender: "<user\(n)@example.test>", recipients: ["<all@example.test>", "<boss@example.test>"],
                      headers: [HeaderField(name: "From", value: "User \(n) <user\(n)@example.test>"),
                                HeaderField(name: "To", value: "all@example.test"),
                                HeaderField(name: "Cc", value: "boss@example.test"),
                                HeaderField(name: "Message-ID", value: "<reply\(n).\(root)>"),
                                HeaderField(name: "In-Reply-To", value: "<\(root)>"),
                                HeaderField(name: "References", value: "<\(root)>"),
                                HeaderField(name: "Subject", value: "Re: \(subject)")],
                      macros: [.mail: ["i": "Q\(n)"]])
    }

    /// A reply to the author only: always passes.
    static func direct(_ n: Int, root: String) -> MilterMessage {
        MilterMessage(sender: "<user\(n)@example.test>", recipients: ["<boss@example.test>"],
                      headers: [HeaderField(name: "From", value: "user\(n)@example.test"),
                                HeaderField(name: "To", value: "boss@example.test"),
                                HeaderField(name: "Message-ID", value: "<direct\(n).\(root)>"),
                                HeaderField(name: "In-Reply-To", value: "<\(root)>"),
                                HeaderField(name: "Subject", value: "Re: Welcome")])
    }
}

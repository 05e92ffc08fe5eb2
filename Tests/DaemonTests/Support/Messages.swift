import MilterWire

// The messages of the tests that drive the daemon with MilterWire's client.

extension MilterMessage {
    /// A reply-all from userN in thread `root`, to the list (and the author in Cc).
    static func replyAll(_ n: Int, root: String, subject: String = "Welcome",
                         recipients: [String] = ["<all@example.test>", "<boss@example.test>"],
                         extraHeaders: [HeaderField] = []) -> MilterMessage {
        MilterMessage(
            sender: "<user\(n)@example.test>", recipients: recipients,
            headers: [HeaderField(name: "From", value: "User \(n) <user\(n)@example.test>"),
                      HeaderField(name: "To", value: "all@example.test"),
                      HeaderField(name: "Message-ID", value: "<reply\(n).\(root)>"),
                      HeaderField(name: "In-Reply-To", value: "<\(root)>"),
                      HeaderField(name: "References", value: "<\(root)>"),
                      HeaderField(name: "Subject", value: "Re: \(subject)")] + extraHeaders,
            macros: [.mail: ["i": "Q\(n)"]])
    }

    /// The message that starts thread `root`: boss@example.test to the whole list.
    static func announcement(root: String, subject: String = "Welcome") -> MilterMessage {
        MilterMessage(
            sender: "<boss@example.test>", recipients: ["<all@example.test>"],
            headers: [HeaderField(name: "From", value: "Boss <boss@example.test>"),
                      HeaderField(name: "To", value: "all@example.test"),
                      HeaderField(name: "Message-ID", value: "<\(root)>"),
                      HeaderField(name: "Subject", value: subject)],
            macros: [.mail: ["i": "QA"]])
    }
}

extension MessageResult {
    /// True when the MTA would deliver it as sent (no reject, defer, hold).
    var passed: Bool { verdict == .accept && quarantineReason == nil }
}

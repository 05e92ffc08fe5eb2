import Milter

/// The fixture's filter: reports what it saw in a header and acts on magic recipients,
/// so tests can check every path of the Milter module from outside the process.
final class FixtureHandler: MilterHandler {
    private var sender = ""
    private var recipients: [String] = []
    private var subjectSeen = false
    private var client: String?
    private var authenticated: String?

    func connect(hostname: String, address: String?, macros: borrowing Macros) -> Reply {
        client = address
        return .continue
    }

    func mailFrom(args: [String], macros: borrowing Macros) -> Reply {
        // why: a connection can carry several messages; MAIL starts a fresh one.
        sender = args.first.map(Self.bare) ?? ""
        recipients = []
        subjectSeen = false
        authenticated = macros["auth_authen"]
        return .continue
    }

    func recipient(args: [String], macros: borrowing Macros) -> Reply {
        if let raw = args.first { recipients.append(raw) }
        return .continue
    }

    func header(name: String, value: String) -> Reply {
        if name.lowercased() == "subject" { subjectSeen = true }
        return .continue
    }

    func abort() {
        recipients = []
        subjectSeen = false
    }

    func endOfMessage(editor: borrowing MessageEditor, macros: borrowing Macros) -> Reply {
        let plain = Set(recipients.map { Self.bare($0).lowercased() })
        if plain.contains("reject@example.test") { return .reject(550, "5.7.1", "fixture says no") }
        if plain.contains("defer@example.test") { return .tempfail(451, "4.7.1", "fixture says later") }
        if plain.contains("percent@example.test") {
            return .reject(code: 550, enhanced: "5.7.1", text: ["100% sure\r\nInjected: yes"])
        }
        if plain.contains("multi@example.test") {
            return .reject(code: 550, enhanced: "5.7.1", text: ["first line", "second line"])
        }
        if plain.contains("wrongclass@example.test") {
            return .tempfail(code: 550, enhanced: "5.7.1", text: ["wrong class"])
        }
        do {
            try editor.addHeader("X-Fixture",
                "rcpts=\(recipients.count); from=<\(sender)>; subject-seen=\(subjectSeen ? "yes" : "no")")
            try editor.addHeader("X-Fixture-Seen",
                "client=\(client ?? "none"); queue=\(macros["i"] ?? "none"); auth=\(authenticated ?? "none")")
            if plain.contains("hold@example.test") { try editor.quarantine(reason: "fixture hold") }
            if plain.contains("trim@example.test") {
                for raw in recipients { try editor.deleteRecipient(raw) }
                try editor.addRecipient("<author@example.test>")
            }
            if plain.contains("inject@example.test") {
                try editor.addHeader("X-Fixture-Injected", "a\r\nBcc: victim@example.test")
            }
        } catch {
            return .tempfail(451, "4.3.0", "fixture edit failed: \(error)")
        }
        return .continue
    }

    /// `<a@b>` → `a@b`.
    private static func bare(_ address: String) -> String {
        address.hasPrefix("<") && address.hasSuffix(">") ? String(address.dropFirst().dropLast()) : address
    }
}

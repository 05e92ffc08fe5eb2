import Glibc
import Milter

/// The fixture's start-up, outside main.swift so nothing here is main-actor isolated.
enum FixtureMain {
    static func main(_ arguments: [String]) {
        let usage = "usage: milter-fixture --socket SPEC [--group NAME] [--mode OCTAL]"
        var options: [String: String] = [:]
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            guard ["--socket", "--group", "--mode"].contains(flag), let value = rest.popFirst() else { fail(usage, status: 64) }
            options[flag] = value
        }
        guard let socket = options["--socket"] else { fail(usage, status: 64) }
        guard let mode = UInt32(options["--mode"] ?? "660", radix: 8) else { fail(usage, status: 64) }
        do {
            let address = try ListenAddress(parsing: socket)
            let configuration = MilterConfiguration(
                name: "milter-fixture",
                listen: address,
                actions: [.addHeaders, .addRecipients, .deleteRecipients, .quarantine],
                steps: [.connect, .mailFrom, .recipient, .header],
                macros: [.mailFrom: ["i", "auth_authen", "mail_addr"]],
                socketMode: mode,
                socketGroup: options["--group"],
                notice: { say("milter-fixture: \($0)") })
            say("milter-fixture: listening on \(address.libmilterSpec)")
            try MilterRunner.run(configuration) { FixtureHandler() }
            say("milter-fixture: stopped")
        } catch {
            fail("milter-fixture: \(error)", status: 1)
        }
    }

    /// Unbuffered, so a test reading stderr sees lines as they happen.
    static func say(_ line: String) {
        let text = line + "\n"
        _ = text.withCString { write(2, $0, strlen($0)) }
    }

    static func fail(_ line: String, status: Int32) -> Never {
        say(line)
        exit(status)
    }
}

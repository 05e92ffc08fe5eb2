import MilterWire

/// Uniform traffic for benchmarks: many sessions of many messages, a set number of recipients
/// and headers each, no time offsets.
public struct LoadScenario: Sendable {
    /// Sessions (connections).
    public var sessions = 100
    /// Messages per session.
    public var messagesPerSession = 10
    /// Recipients per message.
    public var recipients = 20
    /// Headers per message (at least the 4 every message has).
    public var headers = 8
    /// When set, every message expects a header of this name to be added (`X-Null` for the null filter).
    public var expectHeader: String?
    /// Domain of every address.
    public var domain = "load.example"

    /// The defaults.
    public init() {}

    /// Why these settings cannot make a scenario.
    public func problems() -> [String] {
        var p: [String] = []
        if sessions < 1 || sessions > 1_000_000 { p.append("--sessions must be 1 to 1000000") }
        if messagesPerSession < 1 || messagesPerSession > 1_000_000 { p.append("--messages must be 1 to 1000000") }
        if recipients < 1 || recipients > 10_000 { p.append("--recipients must be 1 to 10000") }
        if headers < 4 || headers > 10_000 { p.append("--headers must be 4 to 10000") }
        return p
    }

    /// The scenario (no sizes: every address counts 1).
    public func generate() -> GeneratedScenario {
        var all: [Session] = []
        for s in 1...sessions {
            var messages: [ScriptedMessage] = []
            for m in 1...messagesPerSession {
                let id = "load-\(s)-\(m)"
                var h = [HeaderField(name: "From", value: "<sender\(s)@\(domain)>"),
                         HeaderField(name: "To", value: "<rcpt1@\(domain)>"),
                         HeaderField(name: "Subject", value: "Load test \(s).\(m)"),
                         HeaderField(name: "Message-ID", value: "<\(id)@\(domain)>")]
                for i in h.count..<headers { h.append(HeaderField(name: "X-Load-\(i)", value: "value \(i)")) }
                messages.append(ScriptedMessage(
                    sender: EnvelopeAddress("<sender\(s)@\(domain)>", arguments: ["SIZE=2048"]),
                    recipients: (1...recipients).map { EnvelopeAddress("<rcpt\($0)@\(domain)>") },
                    headers: h, body: ["Load test message \(s).\(m)."],
                    macros: [.mail: MacroValues([(name: "i", value: "Q\(s)M\(m)")])],
                    expectations: expectHeader.map { [Expectation(.headerAdded(name: $0, value: nil))] } ?? []))
            }
            all.append(Session(name: "load-\(s)", connect: ConnectInfo(hostname: "load\(s).\(domain)",
                                                                      address: .inet(address: "127.0.0.1", port: 0)),
                               helo: "load\(s).\(domain)", messages: messages))
        }
        return GeneratedScenario(file: SessionFile(name: "load", sessions: all), sizes: "",
                                 summary: ["generated: breakwater-replay generate load --sessions \(sessions) --messages "
                                           + "\(messagesPerSession) --recipients \(recipients) --headers \(headers)"])
    }
}

import MilterWire

/// A generated scenario: the session file and the size file that goes with it.
public struct GeneratedScenario: Sendable {
    /// The sessions, one message each, in time order, with expectations from `PolicyModel`.
    public var file: SessionFile
    /// `address size` lines for the lists the scenario mails to.
    public var sizes: String
    /// What the model expects, in words, for the file's header comment and reports.
    public var summary: [String]

    /// The session file's text, with the summary as comments on top.
    public var text: String {
        let body = SessionWriter.text(file)
        let lines = body.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        return lines[0] + "\n" + summary.map { "# " + $0 + "\n" }.joined() + (lines.count > 1 ? lines[1] : "")
    }
}

/// Collects generated messages as one-message sessions and puts them in time order.
struct ScenarioBuilder {
    private var items: [(at: Int64, order: Int, session: Session)] = []
    let domain: String

    init(domain: String) { self.domain = domain }

    /// One person's message: a session of its own from a documentation address, as an MUA submits.
    mutating func add(name: String, at: Int64, from sender: String, to recipients: [String],
                      headers: [(String, String)], expect: [Expectation.Kind]) {
        let n = items.count
        let address = "192.0.2.\(n % 250 + 1)"
        var message = ScriptedMessage(
            at: at, sender: EnvelopeAddress("<\(sender)>"),
            recipients: recipients.map { EnvelopeAddress("<\($0)>") },
            headers: headers.map { HeaderField(name: $0.0, value: $0.1) },
            expectations: expect.map { Expectation($0) })
        message.macros[.mail] = MacroValues([(name: "{auth_authen}", value: sender)])
        let session = Session(name: name, connect: ConnectInfo(hostname: "client\(n % 250 + 1).\(domain)",
                                                               address: .inet(address: address, port: UInt16(40_000 + n % 20_000))),
                              helo: "client\(n % 250 + 1).\(domain)", messages: [message])
        items.append((at, n, session))
    }

    /// Sessions in time order; messages at the same second keep the order they were added.
    func sessions() -> [Session] {
        items.sorted { ($0.at, $0.order) < ($1.at, $1.order) }.map(\.session)
    }

    /// Standard headers of a message in a thread.
    func headers(from: String, to: String, cc: String? = nil, subject: String, id: String,
                 inReplyTo: String? = nil, references: [String] = [], extra: [(String, String)] = []) -> [(String, String)] {
        var h: [(String, String)] = [("From", "<\(from)>"), ("To", to)]
        if let cc { h.append(("Cc", cc)) }
        h.append(("Subject", subject))
        h.append(("Message-ID", "<\(id)@\(domain)>"))
        if let inReplyTo { h.append(("In-Reply-To", "<\(inReplyTo)@\(domain)>")) }
        if !references.isEmpty {
            h.append(("References", references.map { "<\($0)@\(domain)>" }.joined(separator: " ")))
        }
        return h + extra
    }
}

/// Random times spread over a span, sorted.
extension SeededRandom {
    mutating func times(_ count: Int, from: Int64, to: Int64) -> [Int64] {
        (0..<count).map { _ in int(in: from...max(from, to)) }.sorted()
    }
}

/// `3`, `03`, `003`: numbers padded to the width of the largest, so names sort.
func padded(_ n: Int, of total: Int) -> String {
    let s = String(n)
    return String(repeating: "0", count: max(0, String(total).count - s.count)) + s
}

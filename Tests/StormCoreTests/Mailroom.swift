import StormCore

/// A small world for scenario tests: audience tables, an engine, a clock, and people who
/// send, reply and reply-all the way mail clients do.
final class Mailroom {
    let engine: StormEngine
    private(set) var now = Instant(seconds: 1_479_117_600) // 2016-11-14T10:00Z, the NHS morning
    private var serial = 0

    /// A message as sent, so later replies can point at it.
    struct Sent {
        let id: String
        let subject: String
        let author: String
        let references: [String]
    }

    /// Tables from `virtual(5)` text and `address size` text.
    init(policy: StormPolicy = StormPolicy(), virtual: String = "", sizes: String = "",
         limits: LedgerLimits = LedgerLimits()) {
        var sources: [AudienceSource] = []
        if !virtual.isEmpty { sources.append(.virtualAliasesText(name: "virtual", text: virtual)) }
        if !sizes.isEmpty { sources.append(.sizesText(name: "sizes", text: sizes)) }
        let (dir, problems) = AudienceDirectory.load(sources)
        precondition(problems.isEmpty, "test tables have problems: \(problems)")
        engine = StormEngine(policy: policy, directory: dir, ledger: ThreadLedger(limits: limits))
    }

    func advance(minutes: Int) { now = now + Int64(minutes) * 60 }
    func advance(seconds: Int64) { now = now + seconds }

    private func nextID(_ who: String) -> String {
        serial += 1
        let domain = who.split(separator: "@").last.map(String.init) ?? "example.test"
        return "msg\(serial).\(now.seconds)@\(domain)"
    }

    /// Sends one message and returns the engine's verdict plus the message for later replies.
    @discardableResult
    func send(from: String, envelope: [String], to: String = "", cc: String = "", subject: String,
              replyingTo parent: Sent? = nil, extraHeaders: [(String, String)] = [],
              saslUser: String? = nil, client: String? = nil) -> (verdict: Verdict, sent: Sent) {
        let id = nextID(from)
        var h = MessageHeaders()
        h.record(name: "Message-ID", value: "<\(id)>")
        h.record(name: "From", value: from)
        if !to.isEmpty { h.record(name: "To", value: to) }
        if !cc.isEmpty { h.record(name: "Cc", value: cc) }
        h.record(name: "Subject", value: subject)
        var refs: [String] = []
        if let p = parent {
            refs = p.references + [p.id]
            h.record(name: "In-Reply-To", value: "<\(p.id)>")
            h.record(name: "References", value: refs.map { "<\($0)>" }.joined(separator: "\r\n "))
        }
        for (n, v) in extraHeaders { h.record(name: n, value: v) }
        let facts = MessageFacts(sender: "<\(from)>", recipients: envelope.map { "<\($0)>" },
                                 saslUser: saslUser, clientAddress: client, queueID: "Q\(serial)", headers: h)
        let v = engine.decide(facts, at: now)
        return (v, Sent(id: id, subject: subject, author: from, references: refs))
    }

    /// A new message to a list.
    @discardableResult
    func announce(from: String, to list: String, subject: String) -> (verdict: Verdict, sent: Sent) {
        send(from: from, envelope: [list], to: list, subject: subject)
    }

    /// Reply-all: To the author of the message replied to, Cc the list, as mail clients do.
    @discardableResult
    func replyAll(from: String, to parent: Sent, list: String,
                  extraHeaders: [(String, String)] = []) -> (verdict: Verdict, sent: Sent) {
        send(from: from, envelope: [parent.author, list], to: parent.author, cc: list,
             subject: "Re: " + parent.subject, replyingTo: parent, extraHeaders: extraHeaders)
    }

    /// A direct reply, to the author only.
    @discardableResult
    func reply(from: String, to parent: Sent) -> (verdict: Verdict, sent: Sent) {
        send(from: from, envelope: [parent.author], to: parent.author,
             subject: "Re: " + parent.subject, replyingTo: parent)
    }
}

/// Verdict tallies for scenario assertions.
struct Tally {
    var passed = 0
    var stopped: [Rule: Int] = [:]
    var firstStop: Int?
    var passedAfterFirstStop = 0

    mutating func add(_ v: Verdict, index: Int) {
        if let r = v.rule {
            stopped[r, default: 0] += 1
            if firstStop == nil { firstStop = index }
        } else {
            passed += 1
            if firstStop != nil { passedAfterFirstStop += 1 }
        }
    }

    var stoppedTotal: Int { stopped.values.reduce(0, +) }
}

/// People named p1@…, p2@… for crowds of repliers.
func person(_ n: Int, at domain: String = "nhs.example") -> String { "p\(n)@\(domain)" }

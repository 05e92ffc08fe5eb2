import MilterWire
import Synchronization

/// One message as the stress commands send it: the envelope, and only the header fields the
/// daemon reads (From, To, Cc, Message-ID, In-Reply-To, References, Subject). No body: the
/// daemon negotiates the body away, so an MTA would not send it either.
struct TrafficMessage {
    var sender: String
    var recipient: String
    var secondRecipient: String?
    var from: String
    var to: String
    var cc: String?
    var messageID: String
    var inReplyTo: String?
    var references: String?
    var subject: String
}

/// The shapes of mail in the traffic, over one domain (`flood.example`, `soak.example`):
/// `everyone@DOMAIN` is the big list (its size comes from the daemon's list_size_maps file).
struct TrafficShapes {
    let domain: String
    let bigList: String

    init(domain: String) {
        self.domain = domain
        bigList = "everyone@\(domain)"
    }

    func author(_ n: Int) -> String { "boss\(n)@\(domain)" }
    func user(_ n: Int) -> String { "user\(n)@\(domain)" }

    /// An announcement to the big list: it starts a thread the ledger tracks.
    func announcement(id: String, author: String, subject: String) -> TrafficMessage {
        TrafficMessage(sender: "<\(author)>", recipient: "<\(bigList)>", from: author, to: bigList,
                       messageID: "<\(id)>", subject: subject)
    }

    /// A reply-all: to the big list and the author, in the thread of `parent` (references
    /// `root` first when the parent is itself a reply).
    func replyAll(id: String, from replier: String, parent: String, root: String?, author: String,
                  subject: String) -> TrafficMessage {
        TrafficMessage(sender: "<\(replier)>", recipient: "<\(bigList)>", secondRecipient: "<\(author)>",
                       from: replier, to: bigList, cc: author, messageID: "<\(id)>", inReplyTo: "<\(parent)>",
                       references: root.map { "<\($0)> <\(parent)>" } ?? "<\(parent)>", subject: "Re: " + subject)
    }

    /// A reply to the author alone: a small audience, always passes.
    func direct(id: String, from replier: String, parent: String, author: String, subject: String) -> TrafficMessage {
        TrafficMessage(sender: "<\(replier)>", recipient: "<\(author)>", from: replier, to: author,
                       messageID: "<\(id)>", inReplyTo: "<\(parent)>", references: "<\(parent)>",
                       subject: "Re: " + subject)
    }

    /// Ordinary mail to one person or a small list; no thread.
    func plain(id: String, from sender: String, to recipient: String, subject: String) -> TrafficMessage {
        TrafficMessage(sender: "<\(sender)>", recipient: "<\(recipient)>", from: sender, to: recipient,
                       messageID: "<\(id)>", subject: subject)
    }
}

/// What a sent message got back, as the checks read it.
enum TrafficOutcome: Equatable {
    case accepted
    /// Refused with a 5xx (the storm verdict).
    case refused(Int)
    /// Anything else: tempfail, discard, a hold, a reply the checks do not expect.
    case other(String)

    init(_ result: MessageResult) {
        switch result.verdict {
        case .accept: self = result.quarantineReason == nil ? .accepted : .other("held: \(result.quarantineReason ?? "")")
        case .reply(let reply) where reply.code >= 500: self = .refused(reply.code)
        case .reject: self = .refused(550)
        default: self = .other("\(result.verdict)")
        }
    }
}

/// One sender's milter connection, reused for many messages the way Postfix's smtpd reuses its
/// milter connection, and replaced every `perConnection` messages (and after any error).
final class TrafficSender {
    let socket: String
    let perConnection: Int
    let name: String
    private let configuration: MilterClient.Configuration
    private var client: MilterClient?
    private var onConnection = 0
    /// Milter connections opened so far.
    private(set) var connections = 0

    init(socket: String, name: String, perConnection: Int, timeout: Duration = .seconds(30)) {
        self.socket = socket
        self.name = name
        self.perConnection = max(perConnection, 1)
        configuration = MilterClient.Configuration(timeout: timeout)
    }

    /// Sends `message` and returns the daemon's verdict. A thrown error means no verdict: the
    /// connection is dropped and the next message opens a new one.
    func deliver(_ message: TrafficMessage) throws(ClientError) -> TrafficOutcome {
        let client = try current()
        do {
            try client.mail(from: message.sender)
            try client.rcpt(to: message.recipient)
            if let second = message.secondRecipient { try client.rcpt(to: second) }
            try client.data()
            try client.header(name: "From", value: message.from)
            try client.header(name: "To", value: message.to)
            if let cc = message.cc { try client.header(name: "Cc", value: cc) }
            try client.header(name: "Message-ID", value: message.messageID)
            if let parent = message.inReplyTo { try client.header(name: "In-Reply-To", value: parent) }
            if let references = message.references { try client.header(name: "References", value: references) }
            try client.header(name: "Subject", value: message.subject)
            try client.endOfHeaders()
            let result = try client.endOfMessage()
            onConnection += 1
            return TrafficOutcome(result)
        } catch {
            self.client = nil
            throw error
        }
    }

    /// The open connection, or a new one (past connect and HELO) when it is due.
    private func current() throws(ClientError) -> MilterClient {
        if let client, onConnection < perConnection { return client }
        client?.quit()
        client = nil
        let fresh = try MilterClient(connectingTo: socket, configuration: configuration)
        connections += 1
        let octet = connections % 250 + 1
        try fresh.connect(hostname: "\(name).client.example", address: .inet(address: "192.0.2.\(octet)", port: 25000))
        try fresh.helo("\(name).client.example")
        client = fresh
        onConnection = 0
        return fresh
    }

    /// Says goodbye on the open connection, if any.
    func close() {
        client?.quit()
        client = nil
    }
}

/// A storm on purpose: an announcement, then reply-alls from distinct people until one is refused.
/// It must be refused exactly at reply `tripReplies + 1`.
struct TrafficStorm {
    let shapes: TrafficShapes
    let rootID: String
    let author: String
    let subject: String

    init(shapes: TrafficShapes, tag: String) {
        self.shapes = shapes
        rootID = "storm.\(tag)@\(shapes.domain)"
        author = "chief.\(tag)@\(shapes.domain)"
        subject = "All hands \(tag)"
    }

    /// What happened: replies that passed before the refusal, and the refusal (nil if none came
    /// within `tripReplies + 5` replies), or the error that cut it short.
    struct Result {
        var passed = 0
        var refusedAt: Int?
        var problem: String?
        var messages = 0

        func held(tripReplies: Int) -> Bool { problem == nil && passed == tripReplies && refusedAt == tripReplies + 1 }

        var description: String {
            if let problem { return "failed: \(problem)" }
            guard let refusedAt else { return "\(passed) reply-alls passed, none refused" }
            return "\(passed) reply-alls passed, reply-all \(refusedAt) refused"
        }
    }

    func reply(_ n: Int) -> TrafficMessage {
        shapes.replyAll(id: "reply\(n).\(rootID)", from: "replier\(n).\(rootID.prefix { $0 != "@" })@\(shapes.domain)",
                        parent: rootID, root: nil, author: author, subject: subject)
    }

    func run(on sender: TrafficSender, tripReplies: Int) -> Result {
        var result = Result()
        do {
            result.messages += 1
            let start = try sender.deliver(shapes.announcement(id: rootID, author: author, subject: subject))
            guard start == .accepted else {
                result.problem = "the announcement got \(start)"
                return result
            }
            for n in 1...(tripReplies + 5) {
                result.messages += 1
                switch try sender.deliver(reply(n)) {
                case .accepted: result.passed += 1
                case .refused:
                    result.refusedAt = n
                    return result
                case .other(let what):
                    result.problem = "reply-all \(n) got \(what)"
                    return result
                }
            }
        } catch {
            result.problem = "\(error)"
        }
        return result
    }

    /// One more reply-all, later: it must still be refused.
    func stillBlocked(on sender: TrafficSender, number n: Int) -> (Bool, String) {
        do {
            let outcome = try sender.deliver(reply(n))
            return (outcome.isRefused, "reply-all \(n) \(outcome.isRefused ? "refused" : "got \(outcome)")")
        } catch {
            return (false, "reply-all \(n): \(error)")
        }
    }
}

extension TrafficOutcome {
    var isRefused: Bool { if case .refused = self { true } else { false } }
}

/// The counts every live run keeps for its messages: tickets claimed, verdicts, messages
/// without a verdict, unexpected verdicts, and the first problems seen.
final class TrafficTally: Sendable {
    let claimed = Atomic<Int>(0)
    let done = Atomic<Int>(0)
    let withoutVerdict = Atomic<Int>(0)
    let unexpected = Atomic<Int>(0)
    let problems = Mutex<[String]>([])

    func problem(_ text: String) {
        problems.withLock { list in
            if list.count < 20 { list.append(text) }
        }
    }

    /// Sends `message`, which must be accepted, and counts what came back: the messages done
    /// so far, or nil when no verdict came (the connection failed under it).
    func deliver(_ message: TrafficMessage, on sender: TrafficSender) -> Int? {
        do {
            let outcome = try sender.deliver(message)
            if outcome != .accepted, unexpected.add(1, ordering: .relaxed).newValue <= 5 {
                problem("\(message.messageID) got \(outcome)")
            }
            return done.add(1, ordering: .relaxed).newValue
        } catch {
            _ = withoutVerdict.add(1, ordering: .relaxed)
            problem("\(message.messageID): no verdict: \(error)")
            return nil
        }
    }
}

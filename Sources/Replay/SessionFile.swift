public import MilterWire

/// Where a value came from in a session file. Not part of the value: two sessions that differ
/// only in where they were written compare equal, which is what makes writer round trips testable.
public struct SourceLine: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The file name as given on the command line (or the name given to text in memory).
    public var file: String
    /// 1-based line number; 0 for values built in code.
    public var line: Int

    /// A location.
    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    /// A value built in code rather than read.
    public static let none = SourceLine(file: "", line: 0)

    /// `file:line`, the shape editors jump to.
    public var description: String { "\(file):\(line)" }

    /// Always equal: a location annotates a value, it is not part of it.
    public static func == (a: SourceLine, b: SourceLine) -> Bool { true }
    /// Consistent with `==`.
    public func hash(into hasher: inout Hasher) {}
}

/// A whole session file: an optional time zero, and the sessions (SMTP connections) in order.
public struct SessionFile: Sendable, Equatable {
    /// Seconds since 1970 that offset `+0` stands for; nil when the file gives no `start`.
    public var start: Int64?
    /// The sessions, in file order.
    public var sessions: [Session]
    /// The file's name, for messages (not part of the value's meaning, but compared).
    public var name: String

    /// A file with the given sessions.
    public init(name: String, start: Int64? = nil, sessions: [Session] = []) {
        self.name = name
        self.start = start
        self.sessions = sessions
    }

    /// Expectations in the whole file.
    public var expectationCount: Int { sessions.reduce(0) { $0 + $1.messages.reduce(0) { $0 + $1.expectations.count } } }
    /// Messages in the whole file.
    public var messageCount: Int { sessions.reduce(0) { $0 + $1.messages.count } }
}

/// How the SMTP client reached the MTA, as the connect step tells the filter.
public struct ConnectInfo: Sendable, Equatable {
    /// The client's host name as the MTA resolved it (`[192.0.2.1]` when unresolved).
    public var hostname: String
    /// Family, address and port.
    public var address: ConnectAddress

    /// Connection information.
    public init(hostname: String, address: ConnectAddress) {
        self.hostname = hostname
        self.address = address
    }

    /// What a session without a `connect` line sends: an unknown family, as for local submission.
    public static let unspecified = ConnectInfo(hostname: "localhost", address: .unknown)

    /// The client's IP address in text form, when the family has one.
    public var clientAddress: String? {
        switch address {
        case let .inet(a, _), let .inet6(a, _): a
        case .unix, .unknown: nil
        }
    }
}

/// One SMTP connection: connect, optional HELO, connection-level macros, then its messages.
public struct Session: Sendable, Equatable {
    /// A label for reports (`session NAME`); empty when unnamed.
    public var name: String
    /// Connection information; `.unspecified` when the file gives none.
    public var connect: ConnectInfo
    /// The HELO/EHLO name, if the session says hello.
    public var helo: String?
    /// Macros sent with connect and HELO.
    public var macros: [MacroStage: MacroValues]
    /// The messages, in order.
    public var messages: [ScriptedMessage]
    /// Where the session starts.
    public var source: SourceLine

    /// A session.
    public init(name: String = "", connect: ConnectInfo = .unspecified, helo: String? = nil,
                macros: [MacroStage: MacroValues] = [:], messages: [ScriptedMessage] = [],
                source: SourceLine = .none) {
        self.name = name
        self.connect = connect
        self.helo = helo
        self.macros = macros
        self.messages = messages
        self.source = source
    }
}

/// An envelope address with the ESMTP arguments that came with it.
public struct EnvelopeAddress: Sendable, Equatable {
    /// The address as the MTA hands it to the filter (`<a@b>`, or `a@b` from `sendmail`).
    public var address: String
    /// ESMTP arguments (`SIZE=1234`, `NOTIFY=NEVER`).
    public var arguments: [String]

    /// An address with its arguments.
    public init(_ address: String, arguments: [String] = []) {
        self.address = address
        self.arguments = arguments
    }

    /// Address and arguments joined by one space, as libmilter hands them to a filter's argv
    /// and as the daemon passes them to the engine.
    public var joined: String { ([address] + arguments).joined(separator: " ") }
}

/// How a message ends: handed over whole, or abandoned (RSET, or the client went away).
public enum MessageEnding: String, Sendable, Equatable {
    /// End of message: the filter gives its final verdict.
    case endOfMessage = "eom"
    /// Abort: the filter learns the message will not come.
    case abort
}

/// One message of a session, with its time and what the filter is expected to do with it.
public struct ScriptedMessage: Sendable, Equatable {
    /// Seconds after the file's start; nil to follow the previous message at once.
    public var at: Int64?
    /// MAIL FROM.
    public var sender: EnvelopeAddress
    /// RCPT TO, in order.
    public var recipients: [EnvelopeAddress]
    /// Header fields in order; a folded value keeps its line breaks as "\n".
    public var headers: [HeaderField]
    /// Body lines, without line ends; nil when the file gives no body.
    public var body: [String]?
    /// Macros for the message's stages (mail, rcpt, data, end of headers, end of message).
    public var macros: [MacroStage: MacroValues]
    /// End of message or abort.
    public var ending: MessageEnding
    /// What the filter should do with it.
    public var expectations: [Expectation]
    /// Where the message starts.
    public var source: SourceLine

    /// A message.
    public init(at: Int64? = nil, sender: EnvelopeAddress, recipients: [EnvelopeAddress] = [],
                headers: [HeaderField] = [], body: [String]? = nil,
                macros: [MacroStage: MacroValues] = [:], ending: MessageEnding = .endOfMessage,
                expectations: [Expectation] = [], source: SourceLine = .none) {
        self.at = at
        self.sender = sender
        self.recipients = recipients
        self.headers = headers
        self.body = body
        self.macros = macros
        self.ending = ending
        self.expectations = expectations
        self.source = source
    }

    /// The body as it crosses the wire: each line followed by CRLF.
    public var bodyBytes: [UInt8] {
        guard let body else { return [] }
        var bytes: [UInt8] = []
        for line in body {
            bytes += line.utf8
            bytes += [13, 10]
        }
        return bytes
    }

    /// The last value of a macro given for this message, looking at later stages first.
    public func macro(_ name: String) -> String? {
        for stage in [MacroStage.endOfMessage, .endOfHeaders, .data, .rcpt, .mail] {
            if let pair = macros[stage]?.pairs.last(where: { $0.name == name }) { return pair.value }
        }
        return nil
    }
}

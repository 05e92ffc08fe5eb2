import MilterWire

/// The parser's state between lines: which session and message are open, and what may come
/// next. One method per directive; each problem is recorded and the line skipped.
struct SessionReader {
    let name: String
    var file: SessionFile
    var problems: [SessionProblem] = []

    private var session: Session?
    /// The message being written: `at`/macro lines start it, `mail` opens it, eom/abort end it.
    private var message: ScriptedMessage?
    private var messageLine = 0
    private var mailSeen = false
    private var bodySeen = false
    /// Line of the last header or continuation, for folded values.
    private var headerLine = -1
    /// True while `expect` lines still belong to the last ended message.
    private var expectOpen = false
    private var line = 0

    init(name: String) {
        self.name = name
        file = SessionFile(name: name)
    }

    mutating func problem(_ line: Int, _ message: String) {
        problems.append(SessionProblem(file: name, line: line, message: message))
    }

    private var here: SourceLine { SourceLine(file: name, line: line) }

    mutating func read(_ text: String, line: Int) {
        self.line = line
        let body = Substring(text)
        if SessionText.allBlank(body) { return }
        if let first = SessionText.firstScalar(body), SessionText.isBlank(first) {
            return continuation(body)
        }
        if SessionText.firstScalar(body) == "#" { return }
        if SessionText.hasControl(body) {
            return problem(line, "control character in line; write the value in the escaped form \\\"...\"")
        }
        let (word, rest) = SessionText.word(body)
        switch word {
        case "start": start(rest)
        case "session": newSession(rest)
        case "connect": connect(rest)
        case "helo": helo(rest)
        case "macro": macro(rest)
        case "at": at(rest)
        case "mail": mail(rest)
        case "rcpt": rcpt(rest)
        case "header": header(rest)
        case "body": bodyLine(rest)
        case "eom": end(.endOfMessage, rest)
        case "abort": end(.abort, rest)
        case "expect": expect(rest)
        default:
            problem(line, "unknown directive \"\(word.prefix(40))\"")
        }
    }

    mutating func finish(line: Int) {
        self.line = line
        closeSession()
    }

    // MARK: structure

    private mutating func openSession() {
        if session == nil { session = Session(source: here) }
    }

    private mutating func closeSession() {
        if mailSeen {
            problem(messageLine, "message has no eom or abort")
        } else if message != nil {
            problem(messageLine, "at or macro lines with no mail line after them")
        }
        message = nil
        mailSeen = false
        expectOpen = false
        if let s = session { file.sessions.append(s) }
        session = nil
    }

    /// The message that `at`, macro and mail lines add to, started here if none is.
    private mutating func pendingMessage() -> Bool {
        openSession()
        if message == nil {
            message = ScriptedMessage(sender: EnvelopeAddress(""), source: here)
            messageLine = line
            bodySeen = false
            expectOpen = false
        }
        return true
    }

    private mutating func requireOpenMessage(_ directive: String) -> Bool {
        guard mailSeen else {
            problem(line, "\(directive) outside a message (a message starts with mail)")
            return false
        }
        return true
    }

    private mutating func tokens(_ text: Substring) -> [String]? {
        switch SessionText.tokens(text) {
        case let .success(t): return t
        case let .failure(e):
            problem(line, e.message)
            return nil
        }
    }

    private mutating func rest(_ text: Substring) -> String? {
        switch SessionText.readRest(text) {
        case let .success(v): return v
        case let .failure(e):
            problem(line, e.message)
            return nil
        }
    }

    // MARK: directives

    private mutating func start(_ text: Substring) {
        guard let t = tokens(text) else { return }
        guard t.count == 1, let seconds = TimeText.timestamp(t[0]) else {
            return problem(line, "start needs one UTC time such as 2016-11-14T10:00:00Z")
        }
        guard file.start == nil, session == nil, file.sessions.isEmpty else {
            return problem(line, "start must come once, before the first session")
        }
        file.start = seconds
    }

    private mutating func newSession(_ text: Substring) {
        guard let t = tokens(text) else { return }
        guard t.count <= 1 else { return problem(line, "session takes at most one name") }
        closeSession()
        session = Session(name: t.first ?? "", source: here)
    }

    private mutating func connect(_ text: Substring) {
        guard let t = tokens(text) else { return }
        openSession()
        guard session!.messages.isEmpty, message == nil, session!.connect == .unspecified else {
            return problem(line, "connect must come once per session, before its messages (start another with session)")
        }
        guard t.count >= 2 else {
            return problem(line, "connect needs HOSTNAME FAMILY [ADDRESS [PORT]], family inet, inet6, unix or unknown")
        }
        var port: UInt16 = 0
        if t.count == 4 {
            guard let p = UInt16(t[3]) else { return problem(line, "port \"\(t[3].prefix(20))\" is not 0-65535") }
            port = p
        }
        let address: ConnectAddress
        switch (t[1], t.count) {
        case ("unknown", 2): address = .unknown
        case ("unix", 3): address = .unix(path: t[2])
        case ("inet", 3...4): address = .inet(address: t[2], port: port)
        case ("inet6", 3...4): address = .inet6(address: t[2], port: port)
        default:
            return problem(line, "connect needs HOSTNAME FAMILY [ADDRESS [PORT]]: unknown (no address), "
                           + "unix PATH, inet ADDRESS [PORT] or inet6 ADDRESS [PORT]")
        }
        session!.connect = ConnectInfo(hostname: t[0], address: address)
    }

    private mutating func helo(_ text: Substring) {
        guard let t = tokens(text) else { return }
        openSession()
        guard t.count == 1 else { return problem(line, "helo needs one name") }
        guard session!.messages.isEmpty, message == nil, session!.helo == nil else {
            return problem(line, "helo must come once per session, before its messages")
        }
        session!.helo = t[0]
    }

    private static let stages: [String: MacroStage] = [
        "connect": .connect, "helo": .helo, "mail": .mail, "rcpt": .rcpt, "data": .data,
        "eoh": .endOfHeaders, "eom": .endOfMessage,
    ]

    private mutating func macro(_ text: Substring) {
        let (stageWord, afterStageWord) = SessionText.word(SessionText.dropBlanks(text))
        let (macroName, afterName) = SessionText.word(SessionText.dropBlanks(afterStageWord))
        guard let stage = Self.stages[String(stageWord)] else {
            return problem(line, "macro needs a stage (connect, helo, mail, rcpt, data, eoh, eom), NAME and VALUE")
        }
        guard !macroName.isEmpty, !SessionText.startsEscaped(macroName) else { return problem(line, "macro needs a NAME") }
        guard let value = rest(afterName) else { return }
        let pair = (name: String(macroName), value: value)
        if stage == .connect || stage == .helo {
            openSession()
            guard session!.messages.isEmpty, message == nil else {
                return problem(line, "\(stageWord) macros must come before the session's first message")
            }
            session!.macros[stage, default: MacroValues()].pairs.append(pair)
        } else if pendingMessage() {
            message!.macros[stage, default: MacroValues()].pairs.append(pair)
        }
    }

    private mutating func at(_ text: Substring) {
        guard let t = tokens(text) else { return }
        guard t.count == 1 else { return problem(line, "at needs one time: +75m, +1h30m, +90s or 2016-11-14T10:20:00Z") }
        let seconds: Int64
        if t[0].hasPrefix("+") {
            guard let d = TimeText.duration(t[0].dropFirst()) else {
                return problem(line, "time offset \"\(t[0].prefix(40))\" is not like +75m, +1h30m, +90s or +4500")
            }
            seconds = d
        } else if let stamp = TimeText.timestamp(t[0]) {
            guard let start = file.start else {
                return problem(line, "an absolute time needs a start line at the top of the file")
            }
            guard stamp >= start else { return problem(line, "time \(t[0]) is before the file's start") }
            seconds = stamp - start
        } else {
            return problem(line, "time \"\(t[0].prefix(40))\" is not like +75m or 2016-11-14T10:20:00Z")
        }
        guard !mailSeen else { return problem(line, "at must come before the message's mail line") }
        guard pendingMessage() else { return }
        guard message!.at == nil else { return problem(line, "the message already has a time") }
        message!.at = seconds
    }

    private mutating func envelope(_ text: Substring, _ directive: String) -> EnvelopeAddress? {
        guard let t = tokens(text) else { return nil }
        guard let address = t.first else {
            problem(line, "\(directive) needs an address (<a@example.org>, or <> for the null sender)")
            return nil
        }
        return EnvelopeAddress(address, arguments: Array(t.dropFirst()))
    }

    private mutating func mail(_ text: Substring) {
        guard let sender = envelope(text, "mail") else { return }
        if mailSeen { problem(messageLine, "message has no eom or abort") }
        if mailSeen || message == nil { message = nil; _ = pendingMessage() }
        message!.sender = sender
        message!.source = here
        messageLine = line
        mailSeen = true
    }

    private mutating func rcpt(_ text: Substring) {
        guard requireOpenMessage("rcpt"), let recipient = envelope(text, "rcpt") else { return }
        guard message!.headers.isEmpty, !bodySeen else { return problem(line, "rcpt after headers or body") }
        message!.recipients.append(recipient)
    }

    private mutating func header(_ text: Substring) {
        guard requireOpenMessage("header") else { return }
        guard !bodySeen else { return problem(line, "header after body") }
        let scalars = SessionText.dropBlanks(text).unicodeScalars
        guard let colon = scalars.firstIndex(of: ":"),
              scalars[..<colon].allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }), colon > scalars.startIndex
        else { return problem(line, "header needs NAME: VALUE (a name of printable ASCII, then a colon)") }
        guard let value = rest(Substring(scalars[scalars.index(after: colon)...])) else { return }
        message!.headers.append(HeaderField(name: String(Substring(scalars[..<colon])), value: value))
        headerLine = line
    }

    /// An indented line: the next line of a folded header value.
    private mutating func continuation(_ text: Substring) {
        guard headerLine == line - 1, mailSeen, !message!.headers.isEmpty else {
            return problem(line, "indented line is not a header continuation (directives start in column 1)")
        }
        guard !SessionText.hasControl(text) else {
            return problem(line, "control character in a continuation; write the header in the escaped form")
        }
        let trimmed = SessionText.dropTrailingBlanks(text)
        message!.headers[message!.headers.count - 1].value += "\n" + trimmed
        headerLine = line
    }

    private mutating func bodyLine(_ text: Substring) {
        guard requireOpenMessage("body") else { return }
        // why: body text keeps its indentation; only the one blank after the word separates.
        let content = SessionText.firstScalar(text).map(SessionText.isBlank) == true
            ? Substring(text.unicodeScalars.dropFirst()) : text
        let value: String
        if SessionText.startsEscaped(content) {
            guard let v = rest(content) else { return }
            value = v
        } else {
            value = String(SessionText.dropTrailingBlanks(content))
        }
        bodySeen = true
        message!.body = (message!.body ?? []) + [value]
    }

    private mutating func end(_ ending: MessageEnding, _ text: Substring) {
        guard let t = tokens(text) else { return }
        guard t.isEmpty else { return problem(line, "\(ending.rawValue) takes no arguments") }
        guard requireOpenMessage(ending.rawValue) else { return }
        message!.ending = ending
        session!.messages.append(message!)
        message = nil
        mailSeen = false
        expectOpen = true
    }

    private mutating func expect(_ text: Substring) {
        let parsed: (tokens: [String], tail: String?)
        switch SessionText.tokensAndTail(text) {
        case let .success(p): parsed = p
        case let .failure(e): return problem(line, e.message)
        }
        guard expectOpen, session?.messages.isEmpty == false else {
            return problem(line, "expect must follow a message's eom or abort")
        }
        guard let kind = ExpectationSyntax.kind(parsed.tokens, tail: parsed.tail) else {
            return problem(line, ExpectationSyntax.usage(parsed.tokens.first))
        }
        let last = session!.messages.count - 1
        session!.messages[last].expectations.append(Expectation(kind, source: here))
    }
}

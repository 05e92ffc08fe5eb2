import MilterWire

/// Writes session files that `SessionParser` reads back to the same value: for generated
/// scenarios and for the daemon's recorder.
public enum SessionWriter {
    /// The whole file as text.
    public static func text(_ file: SessionFile) -> String {
        var out = header(start: file.start)
        for session in file.sessions { write(session, to: &out) }
        return out
    }

    /// The file's opening lines: the comment and, if given, the `start` line.
    public static func header(start: Int64?) -> String {
        var out = "# Breakwater session file (see Sources/Replay/SESSION-FORMAT.md)\n"
        if let start { out += "start \(TimeText.timestampText(start))\n" }
        return out
    }

    /// One session, with its messages, appended to `out`. With `absoluteTimes`, each message's
    /// `at` is taken as seconds since 1970 and written as a UTC time (the recorder's form, which
    /// stays right whatever `start` the file it is appended to has).
    public static func write(_ session: Session, to out: inout String, absoluteTimes: Bool = false) {
        out += "\nsession" + (session.name.isEmpty ? "" : " " + SessionText.token(session.name)) + "\n"
        if session.connect != .unspecified {
            let c = session.connect
            out += "connect " + SessionText.token(c.hostname)
            switch c.address {
            case .unknown: out += " unknown"
            case let .unix(path): out += " unix " + SessionText.token(path)
            case let .inet(a, p): out += " inet " + SessionText.token(a) + " \(p)"
            case let .inet6(a, p): out += " inet6 " + SessionText.token(a) + " \(p)"
            }
            out += "\n"
        }
        writeMacros(session.macros, stages: [.connect, .helo], to: &out)
        if let helo = session.helo { out += "helo " + SessionText.token(helo) + "\n" }
        for message in session.messages { write(message, to: &out, absoluteTimes: absoluteTimes) }
    }

    private static let stageWords: [(MacroStage, String)] = [
        (.connect, "connect"), (.helo, "helo"), (.mail, "mail"), (.rcpt, "rcpt"), (.data, "data"),
        (.endOfHeaders, "eoh"), (.endOfMessage, "eom"),
    ]

    private static func writeMacros(_ macros: [MacroStage: MacroValues], stages: Set<MacroStage>,
                                    to out: inout String) {
        for (stage, word) in stageWords where stages.contains(stage) {
            for pair in macros[stage]?.pairs ?? [] {
                // why: a macro name is a bare word in the format; names with blanks cannot be written.
                out += "macro \(word) \(pair.name) \(SessionText.restOfLine(pair.value))\n"
            }
        }
    }

    private static func write(_ message: ScriptedMessage, to out: inout String, absoluteTimes: Bool) {
        out += "\n"
        if let at = message.at {
            out += absoluteTimes ? "at \(TimeText.timestampText(at))\n" : "at +\(TimeText.durationText(at))\n"
        }
        writeMacros(message.macros, stages: [.mail, .rcpt, .data, .endOfHeaders, .endOfMessage], to: &out)
        out += "mail " + envelope(message.sender) + "\n"
        for r in message.recipients { out += "rcpt " + envelope(r) + "\n" }
        for h in message.headers { out += "header " + h.name + ":" + headerValue(h.value) + "\n" }
        for line in message.body ?? [] { out += "body" + bodyText(line) + "\n" }
        out += message.ending.rawValue + "\n"
        for e in message.expectations { out += "expect " + ExpectationSyntax.text(e.kind) + "\n" }
    }

    private static func envelope(_ a: EnvelopeAddress) -> String {
        ([a.address] + a.arguments).map(SessionText.token).joined(separator: " ")
    }

    /// ` value`, folded onto continuation lines when every break is a fold; else escaped.
    private static func headerValue(_ value: String) -> String {
        if value.isEmpty { return "" }
        let lines = value.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map(Substring.init)
        let foldable = lines.count > 1
            && lines.dropFirst().allSatisfy { l in
                SessionText.firstScalar(l).map(SessionText.isBlank) == true && !SessionText.hasControl(l)
                    && !(SessionText.lastScalar(l).map(SessionText.isBlank) ?? true)
            }
        if foldable, SessionText.restOfLine(String(lines[0])).unicodeScalars.elementsEqual(lines[0].unicodeScalars) {
            return " " + value
        }
        return " " + SessionText.restOfLine(value)
    }

    private static func bodyText(_ line: String) -> String {
        if line.isEmpty { return "" }
        let s = Substring(line)
        let plain = !SessionText.hasControl(s) && !SessionText.startsEscaped(s)
            && !(SessionText.lastScalar(s).map(SessionText.isBlank) ?? false)
        return " " + (plain ? line : SessionText.escaped(line))
    }
}

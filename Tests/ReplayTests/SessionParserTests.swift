import Testing
import MilterWire
@testable import Replay

/// The session format read line by line: every directive, folding, and the errors people make.
@Suite("Session file parser")
struct SessionParserTests {
    static let everyDirective = """
    # a session using every directive
    start 2016-11-14T10:00:00Z

    session alice-morning
    connect mx.example.org inet 192.0.2.10 25
    macro connect j mx.example.org
    macro connect _ mx.example.org [192.0.2.10]
    macro helo {tls_version} TLSv1.3
    helo client.example.org

    at +75m
    macro mail {auth_authen} alice
    mail <alice@example.org> SIZE=1234 BODY=8BITMIME   # a trailing comment
    macro rcpt {rcpt_mailer} local
    rcpt <all@example.org> NOTIFY=NEVER
    rcpt <bob@example.org>
    macro data i 4F2A1
    header Subject: Re: Issue #4 status
    header References: <a@example.org>
    \t<b@example.org>
      <c@example.org>
    macro eoh {x} y
    body Hello,
    body
    body   indented line
    macro eom i 4F2A1
    eom
    expect reject 550 5.7.1 ~ reaches too many people
    expect header X-Breakwater ~ stopped
    expect no-header X-Other

    at 2016-11-14T12:00:00Z
    mail <>
    rcpt <postmaster@example.org>
    abort
    expect continue

    session
    connect [2001:db8::1] inet6 2001:db8::1 587
    mail <a@b>
    rcpt <c@d>
    eom
    expect accept
    expect tempfail 451 4.7.1 ~ try later
    expect tempfail
    expect discard
    expect quarantine ~ held
    expect quarantine
    expect rcpt-added <added@test>
    expect rcpt-deleted <c@d>
    expect header X-Null

    session local
    connect localhost unix /var/run/submit.sock
    mail <a@b>
    rcpt <c@d>
    eom

    session unknown
    connect somewhere unknown
    mail <a@b>
    rcpt <c@d>
    eom
    """

    @Test func everyDirectiveIsReadIntoTheSessionValue() throws {
        let file = try SessionParser.parse(Self.everyDirective, name: "every.session")
        #expect(file.start == TimeText.timestamp("2016-11-14T10:00:00Z"))
        #expect(file.sessions.count == 4)

        let first = file.sessions[0]
        #expect(first.name == "alice-morning")
        #expect(first.connect == ConnectInfo(hostname: "mx.example.org", address: .inet(address: "192.0.2.10", port: 25)))
        #expect(first.helo == "client.example.org")
        #expect(first.macros[.connect] == ["j": "mx.example.org", "_": "mx.example.org [192.0.2.10]"])
        #expect(first.macros[.helo] == ["{tls_version}": "TLSv1.3"])
        #expect(first.messages.count == 2)

        let m = first.messages[0]
        #expect(m.at == Int64(75 * 60))
        #expect(m.sender == EnvelopeAddress("<alice@example.org>", arguments: ["SIZE=1234", "BODY=8BITMIME"]))
        #expect(m.recipients == [EnvelopeAddress("<all@example.org>", arguments: ["NOTIFY=NEVER"]),
                                 EnvelopeAddress("<bob@example.org>")])
        #expect(m.macros[.mail] == ["{auth_authen}": "alice"])
        #expect(m.macros[.rcpt] == ["{rcpt_mailer}": "local"])
        #expect(m.macros[.data] == ["i": "4F2A1"])
        #expect(m.macros[.endOfHeaders] == ["{x}": "y"])
        #expect(m.macros[.endOfMessage] == ["i": "4F2A1"])
        #expect(m.headers == [HeaderField(name: "Subject", value: "Re: Issue #4 status"),
                              HeaderField(name: "References", value: "<a@example.org>\n\t<b@example.org>\n  <c@example.org>")])
        #expect(m.body == ["Hello,", "", "  indented line"])
        #expect(m.bodyBytes == Array("Hello,\r\n\r\n  indented line\r\n".utf8))
        #expect(m.ending == .endOfMessage)
        #expect(m.expectations.map(\.kind) == [
            .reject(code: 550, enhancedCode: "5.7.1", text: "reaches too many people"),
            .headerAdded(name: "X-Breakwater", value: "stopped"), .noHeaderAdded(name: "X-Other")])
        #expect(m.expectations[0].source.line == 28)
        #expect(m.source.line == 13)

        let aborted = first.messages[1]
        #expect(aborted.at == Int64(2 * 3600))
        #expect(aborted.sender.address == "<>")
        #expect(aborted.ending == .abort)
        #expect(aborted.expectations.map(\.kind) == [.continue])

        let second = file.sessions[1]
        #expect(second.name.isEmpty)
        #expect(second.connect.address == .inet6(address: "2001:db8::1", port: 587))
        #expect(second.messages[0].at == nil)
        #expect(second.messages[0].body == nil)
        #expect(second.messages[0].expectations.map(\.kind) == [
            .accept, .tempfail(code: 451, enhancedCode: "4.7.1", text: "try later"),
            .tempfail(code: nil, enhancedCode: nil, text: nil), .discard, .quarantine(reason: "held"),
            .quarantine(reason: nil), .recipientAdded("<added@test>"), .recipientDeleted("<c@d>"),
            .headerAdded(name: "X-Null", value: nil)])
        #expect(file.sessions[2].connect.address == .unix(path: "/var/run/submit.sock"))
        #expect(file.sessions[3].connect == ConnectInfo(hostname: "somewhere", address: .unknown))
        #expect(file.expectationCount == 13)
    }

    @Test func aSessionWithoutConnectOrNameIsImplicitAndUsesTheUnspecifiedClient() throws {
        let file = try SessionParser.parse("mail <a@b>\nrcpt <c@d>\neom\nexpect accept\n", name: "t")
        #expect(file.sessions.count == 1)
        #expect(file.sessions[0].connect == .unspecified)
        #expect(file.sessions[0].messages[0].expectations.count == 1)
    }

    @Test func escapedValuesCarryWhatALineCannot() throws {
        let text = #"""
        mail \"<odd address@b>" SIZE=1
        rcpt <c@d>
        header X-Spaces: \"  two leading, one trailing "
        header X-Control: \"bell\x07 tab\t cr\r quote\" backslash\\"
        body \"trailing blank "
        eom
        expect reject ~ \"  spaced text"
        """#
        let m = try SessionParser.parse(text, name: "t").sessions[0].messages[0]
        #expect(m.sender == EnvelopeAddress("<odd address@b>", arguments: ["SIZE=1"]))
        #expect(m.headers[0].value == "  two leading, one trailing ")
        #expect(m.headers[1].value == "bell\u{07} tab\t cr\r quote\" backslash\\")
        #expect(m.body == ["trailing blank "])
        #expect(m.expectations[0].kind == .reject(code: nil, enhancedCode: nil, text: "  spaced text"))
    }

    @Test func crlfFilesReadLikeLfFiles() throws {
        let lf = "mail <a@b>\nrcpt <c@d>\nheader Subject: hi\neom\nexpect accept\n"
        let crlf = lf.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try SessionParser.parse(crlf, name: "t") == SessionParser.parse(lf, name: "t"))
    }

    // MARK: errors

    func problems(_ text: String) -> [String] {
        do {
            _ = try SessionParser.parse(text, name: "bad.session")
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func everyProblemIsReportedWithFileAndLine() {
        let found = problems("""
        mail <a@b>
        rcpt <c@d>
        frobnicate now
        header no colon here
        eom
        expect reject 250
        at +5 minutes
        connect host carrier-pigeon
        """)
        #expect(found == [
            "bad.session:3: unknown directive \"frobnicate\"",
            "bad.session:4: header needs NAME: VALUE (a name of printable ASCII, then a colon)",
            "bad.session:6: expect reject [5xx [5.x.y]] [~ TEXT]",
            "bad.session:7: at needs one time: +75m, +1h30m, +90s or 2016-11-14T10:20:00Z",
            "bad.session:8: connect must come once per session, before its messages (start another with session)",
        ])
    }

    @Test func structuralMistakesPointAtTheirLines() {
        #expect(problems("rcpt <a@b>\n") == ["bad.session:1: rcpt outside a message (a message starts with mail)"])
        #expect(problems("mail <a@b>\nrcpt <c@d>\n") == ["bad.session:1: message has no eom or abort"])
        #expect(problems("expect accept\n") == ["bad.session:1: expect must follow a message's eom or abort"])
        #expect(problems("mail <a@b>\n  indented\n") == [
            "bad.session:2: indented line is not a header continuation (directives start in column 1)",
            "bad.session:1: message has no eom or abort"])
        #expect(problems("at 2016-11-14T10:00:00Z\nmail <a@b>\nrcpt <c@d>\neom\n") == [
            "bad.session:1: an absolute time needs a start line at the top of the file"])
        #expect(problems("mail <a@b>\nrcpt <c@d>\nbody x\nheader A: b\neom\n") == ["bad.session:4: header after body"])
        #expect(problems("at +1m\n") == ["bad.session:1: at or macro lines with no mail line after them"])
        #expect(problems("macro later x y\n") == [
            "bad.session:1: macro needs a stage (connect, helo, mail, rcpt, data, eoh, eom), NAME and VALUE"])
        #expect(problems("mail <a@b>\nrcpt <c@d>\nheader X: \\\"unterminated\neom\n") == [
            "bad.session:3: escaped value has no closing quote"])
    }

    @Test func hostileInputEndsInErrorsNotCrashes() {
        // A line of 2 MiB, binary junk, a NUL, and a file of nothing but garbage lines.
        let huge = "header X: " + String(repeating: "a", count: 2 << 20)
        #expect(problems("mail <a@b>\nrcpt <c@d>\n\(huge)\neom\n") == ["bad.session:3: line is longer than 1048576 bytes"])

        var junk: [UInt8] = Array("mail <a@b>\n".utf8) + [0xFF, 0xFE, 0x00, 0x80, 10] + Array("x\u{0}y\n".utf8)
        var found: [String] = []
        do { _ = try SessionParser.parse(junk, name: "junk") } catch { found = error.problems.map(\.description) }
        #expect(found == ["junk:2: line is not valid UTF-8",
                          "junk:3: control character in line; write the value in the escaped form \\\"...\"",
                          "junk:1: message has no eom or abort"])

        junk = Array(repeating: Array("??? garbage\n".utf8), count: 100_000).flatMap { $0 }
        do {
            _ = try SessionParser.parse(junk, name: "junk")
            Issue.record("garbage parsed")
        } catch {
            #expect(error.problems.count == SessionParser.maxProblems + 1)
            #expect(error.problems.last?.message == "too many problems; stopped here")
        }
    }

    @Test func anUnreadableFileIsOneProblemAtLineZero() {
        do {
            _ = try SessionParser.load(path: "/nonexistent/x.session")
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.problems.count == 1)
            #expect(error.problems[0].description.hasPrefix("/nonexistent/x.session:0: cannot open"))
        }
    }

    @Test func timesReadInEverySpelling() {
        #expect(TimeText.duration("75m") == 4_500)
        #expect(TimeText.duration("1h15m") == 4_500)
        #expect(TimeText.duration("4500") == 4_500)
        #expect(TimeText.duration("1d2h3m4s") == 93_784)
        #expect(TimeText.duration("") == nil)
        #expect(TimeText.duration("5x") == nil)
        #expect(TimeText.duration("m") == nil)
        #expect(TimeText.duration("99999999999999999999h") == nil)
        #expect(TimeText.timestamp("1970-01-01T00:00:00Z") == 0)
        #expect(TimeText.timestamp("2016-11-14T10:20Z") == 1_479_118_800)
        #expect(TimeText.timestamp("2016-13-14T10:20Z") == nil)
        #expect(TimeText.timestampText(1_479_118_800) == "2016-11-14T10:20:00Z")
        for s: Int64 in [0, 59, 4_500, 93_784, 1_000_000] {
            #expect(TimeText.duration(TimeText.durationText(s)) == s)
        }
    }
}

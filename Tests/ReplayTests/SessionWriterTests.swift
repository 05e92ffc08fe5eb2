import Testing
import MilterWire
@testable import Replay

/// What the writer writes, the parser reads back as the same sessions.
@Suite("Session file writer")
struct SessionWriterTests {
    func roundTrip(_ file: SessionFile) throws -> SessionFile {
        try SessionParser.parse(SessionWriter.text(file), name: file.name)
    }

    @Test func theEveryDirectiveFileSurvivesWritingAndReading() throws {
        let file = try SessionParser.parse(SessionParserTests.everyDirective, name: "every.session")
        #expect(try roundTrip(file) == file)
    }

    @Test func awkwardValuesAreEscapedAndComeBackExact() throws {
        let awkward = ["", " leading", "trailing ", "\\\"looks escaped", "#hash", "~", "tab\tinside", "bell\u{07}",
                       "line\r\nbreak", "unfolded\nbreak", "ünïcödé ✉︎", "quote \" and backslash \\"]
        var message = ScriptedMessage(at: 3_725, sender: EnvelopeAddress("<a b@c>", arguments: ["X=" + awkward[2], "#y"]),
                                      recipients: awkward.filter { !$0.isEmpty }.map { EnvelopeAddress($0) },
                                      ending: .abort)
        message.headers = awkward.map { HeaderField(name: "X-Test", value: $0) }
            + [HeaderField(name: "X-Folded", value: "first\n\tsecond\n third"),
               HeaderField(name: "X-Bad-Fold", value: "first\n\tsecond \n third")]
        message.body = awkward + ["   indented"]
        message.macros = [.mail: MacroValues(awkward.map { (name: "{m}", value: $0) }), .endOfMessage: ["i": "Q1"]]
        message.expectations = awkward.map { Expectation(.headerAdded(name: "X", value: $0)) }
            + [Expectation(.reject(code: 550, enhancedCode: "5.7.1", text: "  odd ")),
               Expectation(.tempfail(code: 421, enhancedCode: nil, text: nil)),
               Expectation(.quarantine(reason: "")), Expectation(.recipientAdded("<x y>"))]
        let session = Session(name: "odd name", connect: ConnectInfo(hostname: "h h", address: .unix(path: "/p q")),
                              helo: "  spaced", macros: [.connect: ["_": "a [b]"], .helo: ["x": ""]], messages: [message])
        let file = SessionFile(name: "odd", start: 1_479_118_800, sessions: [session, Session()])
        let back = try roundTrip(file)
        #expect(back == file)
        #expect(back.sessions[0].messages[0].headers == message.headers)
    }

    @Test func generatedScenariosSurviveWritingAndReading() throws {
        var storm = StormScenario()
        storm.autoReplies = 3
        storm.start = 1_479_118_800
        let s = storm.generate()
        #expect(try SessionParser.parse(s.text, name: "storm") == s.file)
        let normal = NormalScenario().generate()
        #expect(try SessionParser.parse(normal.text, name: "normal") == normal.file)
    }

    @Test func linesOnlyMatterNotWhereTheyAre() throws {
        // Locations annotate values; moving a message down the file does not change it.
        let a = try SessionParser.parse("mail <a@b>\nrcpt <c@d>\neom\n", name: "t")
        let b = try SessionParser.parse("# moved\n\n\nmail <a@b>\nrcpt <c@d>\neom\n", name: "t")
        #expect(a == b)
        #expect(a.sessions[0].messages[0].source.line != b.sessions[0].messages[0].source.line)
    }
}

@testable import Daemon
import BreakwaterConfig
import Logging
import StormCore
import Synchronization
import Testing

struct LogTextTests {
    @Test func controlCharactersAreEscapedAndLongValuesCut() {
        #expect(LogText.escape("a\r\nb\u{0}c\u{7f}\t\"\\") == #"a\r\nb\x00c\x7f\t\"\\"#)
        #expect(LogText.escape(String(repeating: "é", count: 300), maxBytes: 10) == "ééééé...")
        #expect(LogText.quoted("x\ny") == #""x\ny""#)
    }

    @Test func aCraftedSubjectAndSenderMakeOneDecisionLine() {
        var facts = MessageFacts(sender: "<evil\r\nQ2: breakwater: accept@example.test> SIZE=1", queueID: "Q1\n")
        facts.headers.subject = "Re: hi\r\nQ3: breakwater: forged\u{2028}x"
        var verdict = Verdict(action: .reject, reason: .stopped(.storm))
        verdict.thread = MessageKey("root@x")
        let line = DecisionLog.line(for: verdict, facts: facts, recipientCount: 3)!
        #expect(!line.contains("\n") && !line.contains("\r") && !line.contains("\u{2028}"), "\(line)")
        #expect(line.hasPrefix(#"Q1\n: breakwater: reject rule=storm from=<evil\r\nQ2: breakwater: accept@example.test>"#), "\(line)")
        #expect(line.contains(#"subject="Re: hi\r\nQ3: breakwater: forged\u{2028}x""#), "\(line)")
    }

    /// `>` or a blank followed by a combining mark (U+0301) is one Swift Character; the sender
    /// must still end there, or the envelope's parameters pass for more of the from= field.
    @Test func theSenderEndsAtItsBracketEvenWhenAMarkFollows() {
        var verdict = Verdict(action: .reject, reason: .stopped(.storm))
        verdict.thread = MessageKey("root@x")
        for sender in ["<ann@x.example>\u{301} SIZE=1 rule=forged>", "ann@x.example \u{301}rule=forged"] {
            let facts = MessageFacts(sender: sender, queueID: "Q1")
            let line = DecisionLog.line(for: verdict, facts: facts, recipientCount: 1)!
            #expect(line.hasPrefix("Q1: breakwater: reject rule=storm from=<ann@x.example> rcpts=1"), "\(line)")
        }
    }

    @Test func theHandlerWritesOneLinePerEntryWhateverTheMessage() {
        let seen = Mutex<[String]>([])
        let handler = DaemonLogHandler(destination: .custom { _, text in seen.withLock { $0.append(text) } })
        handler.log(event: LogEvent(level: .error, message: "first\nsecond\r\nthird", metadata: nil, source: nil,
                                    file: #file, function: #function, line: #line))
        let lines = seen.withLock { $0 }
        #expect(lines == [#"first\nsecond\r\nthird"#])
    }

    @Test func stormEventsHaveTheirOwnLine() {
        let event = StormEvent(kind: .tripped, thread: MessageKey("root@x"), subject: "All\nstaff", at: Instant(seconds: 0),
                               blockedUntil: Instant(seconds: 3_600), repliesInWindow: 10, threadAudience: 840_001)
        let line = DecisionLog.line(for: event, queueID: "ABC")
        #expect(line == "ABC: breakwater: storm tripped thread=\(MessageKey("root@x")) thread_audience=840001 replies=10 "
            + #"until=1970-01-01T01:00Z subject="All\nstaff""#)
    }
}

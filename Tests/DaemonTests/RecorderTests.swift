@testable import Daemon
import BreakwaterConfig
import Foundation
import Logging
import Milter
import MilterWire
import Replay
import StormCore
import TestSupport
import Testing

/// The recorder in process: what a connection becomes in the file, and the config keys.
struct RecorderTests {
    @Test func recordingIsOffByDefaultAndTheKeysAreRead() throws {
        #expect(DaemonConfig().recordPath.isEmpty && DaemonConfig().recordHashKey.isEmpty)
        let c = try ConfigLoader.parse("record_path = /var/lib/breakwater/sessions\nrecord_hash_key = k3y\n", file: "t.conf", checks: .daemon).get()
        #expect(c.recordPath == "/var/lib/breakwater/sessions")
        #expect(c.recordHashKey == "k3y")
        guard case .failure(let e) = ConfigLoader.parse("record_path = sessions.txt\n", file: "t.conf", checks: .daemon) else {
            Issue.record("a relative record_path was accepted")
            return
        }
        #expect(e.problems.map(\.description) == [#"t.conf:1: record_path: "sessions.txt" is not an absolute path"#])
    }

    @Test func checkConfigSaysWhereSessionsAreRecorded() throws {
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-recorder")
        defer { TestEnvironment.remove(folder) }
        let path = "\(folder)/b.conf"
        try "record_path = /var/lib/breakwater/sessions\nrecord_hash_key = k\n".write(toFile: path, atomically: true, encoding: .utf8)
        let report = ConfigCheck.run(path: path)
        #expect(report.ok)
        #expect(report.lines.contains("  record:   /var/lib/breakwater/sessions (addresses hashed)"), "\(report.lines)")
    }

    @Test func aConnectionBecomesOneSessionThatReadsBackWithItsVerdicts() throws {
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-recorder")
        defer { TestEnvironment.remove(folder) }
        var connection = ConnectionRecording(hostname: "mx.example.org", address: "192.0.2.9")
        connection.helo = "mx.example.org"
        var judged = MessageDraft(mailArguments: ["<alice@example.org>", "SIZE=10"], saslUser: "alice",
                                 clientAddress: "192.0.2.9", queueID: nil, startedAt: 1_700_000_000, keepsReadFields: true)
        judged.addRecipient(["<all@example.org>"])
        judged.addHeader(name: "Subject", value: "Re: hello\n\tfolded")
        judged.addHeader(name: "X-Mailer", value: "not read by Breakwater")
        judged.noteQueueID("Q1", at: .endOfHeaders)
        connection.record(judged, ending: .endOfMessage(MilterActions(reply: .reject(code: 550, enhancedCode: "5.7.1", text: "no"))))
        var aborted = MessageDraft(mailArguments: ["<bob@example.org>"], saslUser: nil, clientAddress: "192.0.2.9",
                                  queueID: "Q2", startedAt: 1_700_000_090, keepsReadFields: true)
        aborted.addRecipient(["<carol@example.org>"])
        connection.record(aborted, ending: .abort)
        let taken = connection.takeSession()
        let recorded = try #require(taken)
        #expect(connection.takeSession() == nil)

        let recorder = SessionRecorder(path: "\(folder)/r.session", hashKey: "", logger: Logger(label: "test"))
        #expect(recorder.append(recorded))
        #expect(recorder.append(recorded))
        let file = try SessionParser.load(paths: ["\(folder)/r.session"])[0]

        #expect(file.sessions.count == 2)
        let session = file.sessions[0]
        #expect(session.connect == ConnectInfo(hostname: "mx.example.org", address: .inet(address: "192.0.2.9", port: 0)))
        #expect(session.helo == "mx.example.org")
        let first = session.messages[0], second = session.messages[1]
        #expect(file.start.map { $0 + (first.at ?? 0) } == 1_700_000_000)
        #expect((second.at ?? 0) - (first.at ?? 0) == 90)
        #expect(first.sender == EnvelopeAddress("<alice@example.org>", arguments: ["SIZE=10"]))
        #expect(first.headers.map(\.name) == ["Subject"] && first.headers[0].value == "Re: hello\n\tfolded")
        #expect(first.macro("i") == "Q1" && first.macro("{auth_authen}") == "alice")
        #expect(first.expectations.map(\.kind) == [.reject(code: 550, enhancedCode: "5.7.1", text: nil)])
        #expect(second.ending == .abort && second.expectations.map(\.kind) == [.continue])
    }

    @Test func theVerdictBecomesExpectLinesInMilterTerms() {
        var verdict = Verdict(action: .trim, reason: .stopped(.storm))
        verdict.recipientsToRemove = ["<all@example.org>"]
        verdict.recipientsToAdd = ["<boss@example.org>"]
        verdict.headersToAdd = [StormCore.HeaderField(name: "X-Breakwater", value: "trimmed")]
        #expect(ConnectionRecording.expectations(verdict.milterActions)
            == [.accept, .recipientAdded("<boss@example.org>"), .recipientDeleted("<all@example.org>"),
                .headerAdded(name: "X-Breakwater", value: nil)])
        // After a filter fault only the fail reply is carried out; none of the edits.
        #expect(ConnectionRecording.expectations(MilterActions()) == [.accept])
        #expect(ConnectionRecording.expectations(MilterActions(reply: .tempfail(code: 451, enhancedCode: "4.7.1", text: "later")))
            == [.tempfail(code: 451, enhancedCode: "4.7.1", text: nil)])
    }
}

@testable import BreakwaterConfig
@testable import Daemon
import Glibc
import Logging
import Milter
import MilterWire
import Replay
import StormCore

extension FuzzEntry {
    /// The session recorder (`ConnectionRecording` + `SessionRecorder.append`) on arbitrary
    /// connection facts, as libmilter could hand them over (any text without NUL): the file it
    /// writes parses back with `SessionParser` without a problem, to the very session recorded
    /// (addresses hashed when a hash key is set), with each message's time relative to the
    /// file's `start` line; and, unhashed, every envelope, header and macro value is the one fed.
    static func recorder(_ bytes: [UInt8]) -> String? {
        var input = FuzzInput(bytes)
        let flags = input.byte(), messageCount = Int(input.byte() % 4)
        var t0: Int64 = 0
        for shift in [0, 8, 16, 24] { t0 |= Int64(input.byte()) << shift }
        t0 += Int64(flags >> 7) << 32
        let control = (0..<(messageCount * 8)).map { _ in input.byte() }
        // why NUL as separator: libmilter hands every value over as a C string, so no fact can
        // contain one.
        let texts = input.parts()
        var next = 0
        func text() -> String {
            defer { next += 1 }
            return texts.isEmpty ? "" : texts[next % texts.count]
        }

        let address: String? = flags & 1 == 0 ? nil : text()
        var connection = ConnectionRecording(hostname: text(), address: address)
        if flags & 2 != 0 { connection.helo = text() }
        var fed: [(sender: [String], recipients: [[String]], headers: [MilterWire.HeaderField])] = []
        for m in 0..<messageCount {
            let c = Array(control[(m * 8)..<(m * 8 + 8)])
            let time = max(0, t0 + Int64(Int8(bitPattern: c[0])) * 977)
            let args = (0..<Int(c[1] % 4)).map { _ in text() }
            var draft = MessageDraft(mailArguments: args, saslUser: c[1] & 0x20 == 0 ? nil : text(), clientAddress: address,
                                     queueID: c[1] & 0x10 == 0 ? nil : text(), startedAt: time,
                                     keepsReadFields: true)
            let recipients = (0..<Int(c[2] % 4)).map { _ in (0..<Int(c[2] >> 2 % 3 + 1)).map { _ in text() } }
            for r in recipients { draft.addRecipient(r) }
            var headers: [MilterWire.HeaderField] = []
            for i in 0..<Int(c[3] % 5) {
                let name = recordedNames[Int(c[3] >> 3 &+ UInt8(i)) % recordedNames.count]
                let value = text()
                if draft.addHeader(name: name, value: value) { headers.append(MilterWire.HeaderField(name: name, value: value)) }
            }
            if c[4] & 0x20 != 0 { draft.noteQueueID(text(), at: noteStages[Int(c[5]) % noteStages.count]) }
            connection.record(draft, ending: c[5] & 0x80 != 0 ? .abort : .endOfMessage(actions(c[6], c[7], text)))
            fed.append((args, recipients, headers))
        }
        let recorded = connection.takeSession() ?? Session(connect: ConnectInfo(hostname: "", address: .unknown))

        let hashKey = flags & 4 == 0 ? "" : "k" + text()
        let path = "/tmp/breakwater-fuzz-recorder-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).session"
        defer { unlink(path) }
        let recorder = SessionRecorder(path: path, hashKey: hashKey, logger: Logger(label: "fuzz"))
        let appends = flags & 8 == 0 ? 1 : 2
        for _ in 0..<appends {
            guard recorder.append(recorded) else { return "cannot append to \(path)" }
        }
        let file: SessionFile
        do { file = try SessionParser.load(path: path) } catch {
            return "the recorded file does not parse: \(error.problems.prefix(3).map(\.description))"
        }

        var expected = hashKey.isEmpty ? recorded : SessionRecorder.hashed(recorded, with: AddressHasher(key: hashKey))
        // why: the recorder writes absolute times; they read back relative to the `start` line.
        let start = file.start ?? 0
        for i in expected.messages.indices { expected.messages[i].at = expected.messages[i].at.map { $0 - start } }
        guard file.sessions.count == appends else { return "\(appends) appends read back as \(file.sessions.count) sessions" }
        for (n, session) in file.sessions.enumerated() where session != expected {
            return "session \(n) reads back differently:\n\(session)\nrecorded:\n\(expected)"
        }
        guard hashKey.isEmpty else { return nil }
        // The facts themselves, not only the recording of them.
        let messages = file.sessions[0].messages
        guard messages.count == fed.count else { return "\(fed.count) messages fed, \(messages.count) read back" }
        for (m, f) in zip(messages, fed) {
            guard m.sender == EnvelopeAddress(f.sender.first ?? "<>", arguments: Array(f.sender.dropFirst())),
                  m.recipients == f.recipients.map({ EnvelopeAddress($0.first ?? "<>", arguments: Array($0.dropFirst())) }),
                  m.headers == f.headers
            else { return "a message's envelope or headers read back differently from the facts fed" }
        }
        return nil
    }

    /// Fields the recorder keeps (Breakwater reads them), in the spellings an MTA may send.
    private static let recordedNames = ["Message-ID", "Subject", "From", "To", "Cc", "In-Reply-To", "References",
                                        "message-id", "SUBJECT", "Reply-To", "Auto-Submitted", "Precedence", "List-Id"]
    private static let noteStages: [MessageDraft.Stage] = [.mailFrom, .endOfHeaders, .endOfMessage]

    /// The actions as the daemon carries them out: a verdict's, or a reply whose code and
    /// enhanced status the config's reply reader (`ConfigValues.reply`) accepted from a
    /// `*_reply = CODE X.Y.Z text` line.
    private static func actions(_ c: UInt8, _ v: UInt8, _ text: () -> String) -> MilterActions {
        var out = verdict(v, text)?.milterActions ?? MilterActions()
        let code = (c % 6 == 4 ? 400 : 500) + Int(c >> 5) * 7
        var enhanced = ""
        if c & 8 != 0, case let .success(spec) = ConfigValues.reply("\(code) \(c & 16 == 0 ? "\(code / 100).7.1" : text()) x") {
            enhanced = spec.enhanced ?? ""
        }
        switch c % 6 {
        case 3: out = MilterActions(reply: .reject(code: code, enhancedCode: enhanced, text: text()))
        case 4: out = MilterActions(reply: .tempfail(code: code, enhancedCode: enhanced, text: ""))
        case 5: out = MilterActions(reply: .reject(code: 550, enhancedCode: enhanced, text: ""))
        default: break
        }
        return out
    }

    private static func verdict(_ c: UInt8, _ text: () -> String) -> Verdict? {
        guard c & 2 != 0 else { return nil }
        let actions: [StormCore.Action] = [.accept, .tag, .defer, .reject, .hold, .trim]
        var v = Verdict(action: actions[Int(c >> 2) % actions.count], reason: .stopped(.storm))
        v.recipientsToAdd = (0..<Int(c >> 5 & 1)).map { _ in text() }
        v.recipientsToRemove = (0..<Int(c >> 6 & 1)).map { _ in text() }
        // why a field name: the daemon adds only `header_name`, which the config holds to
        // printable ASCII without space or colon (an arbitrary name has no `expect` spelling).
        v.headersToAdd = (0..<Int(c >> 7)).map { _ in StormCore.HeaderField(name: fieldName(text()), value: text()) }
        return v
    }

    /// What `header_name` accepts, made of `raw`: printable ASCII, no space, no colon.
    private static func fieldName(_ raw: String) -> String {
        let kept = raw.utf8.filter { $0 >= 33 && $0 <= 126 && $0 != UInt8(ascii: ":") }
        return kept.isEmpty ? "X-Breakwater" : String(decoding: kept, as: UTF8.self)
    }
}

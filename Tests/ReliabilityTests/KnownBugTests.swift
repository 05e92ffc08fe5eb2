import BreakwaterConfig
import Daemon
import Foundation
import StormCore
import Testing

/// Bugs the fuzzers found, each kept as a regression test of its fix (or, while its fix is
/// someone else's, as a disabled test saying so); CHANGELOG.md tells each. The inputs keep
/// their `known-*` names, which the corpus replay leaves to these tests.
@Suite("Bugs found by fuzzing")
struct KnownBugTests {
    /// A reply-all without References is threaded by its subject (key `subject:<base>`). When
    /// the thread holding that key has lost the subject to another thread which was then evicted,
    /// the next such reply-all starts a second thread under the same key. The live ledger works
    /// on, but its snapshot is refused at restart ("duplicate key"), so every storm is forgotten.
    @Test("a snapshot of a live ledger always restores")
    func duplicateSubjectKeyKeepsTheSnapshotReadable() throws {
        var policy = StormPolicy()
        policy.replyAllThreshold = 5
        policy.hardGate = nil
        let (directory, _) = AudienceDirectory.load([.sizesText(name: "sizes", text: "all@example.test 50\n")])
        let engine = StormEngine(policy: policy, directory: directory, ledger: ThreadLedger(limits: LedgerLimits(maxThreads: 3)))
        func send(_ id: String, subject: String, references: String? = nil, at t: Int64) {
            var h = MessageHeaders()
            h.messageID = "<\(id)>"
            h.subject = subject
            h.references = references
            _ = engine.decide(MessageFacts(sender: "<a@example.test>", recipients: ["<all@example.test>"], headers: h),
                              at: Instant(seconds: t))
        }
        send("r1@x", subject: "Re: Budget", at: 1000)           // thread 1, keyed subject:Budget
        send("a1@x", subject: "Budget", at: 1001)               // thread 2 takes the subject over
        send("t1@x", subject: "Re: Budget", references: "<subject:Budget>", at: 1002) // thread 1 used again
        send("b1@x", subject: "Other", at: 1003)
        send("c1@x", subject: "Third", at: 1004)                // full: thread 2 and its subject go
        send("t2@x", subject: "Re: Budget", references: "<subject:Budget>", at: 1005)
        send("r2@x", subject: "Re: Budget", at: 1006)           // a second thread keyed subject:Budget
        let now = Instant(seconds: 1007)
        let snapshot = engine.ledger.snapshot(now: now)
        let restored = try ThreadLedger.restore(from: snapshot, limits: LedgerLimits(maxThreads: 3))
        #expect(restored.snapshot(now: now) == snapshot)
    }

    /// The fuzzer's own input for the same bug (Fuzz/regressions/roundtrip/known-*).
    @Test("the round-trip fuzzer's known inputs keep every property")
    func knownRoundTripInputs() throws {
        let folder = ReplayCorpusTests.fuzzFolder.appendingPathComponent("regressions/roundtrip")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("known-") }
        #expect(!names.isEmpty)
        for name in names {
            let broken = FuzzEntry.roundtrip(try [UInt8](Data(contentsOf: folder.appendingPathComponent(name))))
            #expect(broken == nil, "\(name): \(broken ?? "")")
        }
    }

    /// Fixed (Daemon/Config): `ConfigValues.reply` checked the parts of an enhanced status with
    /// `Character.isNumber`, which is true for digits of any script, so
    /// `storm_reply = 550 5.\u{663}.1 ...` (ARABIC-INDIC DIGIT THREE) was accepted. The recorder
    /// then wrote `expect reject 550 5.\u{663}.1`, which `SessionParser` refuses (it wants
    /// ASCII digits): every session recorded with that reply made the recorded file unreadable.
    /// Found while writing the `recorder` target; input
    /// `Fuzz/regressions/recorder/known-non-ascii-enhanced-status`. Now only ASCII digits pass.
    @Test("an enhanced status code the config accepts is ASCII, so the recorder can read it back")
    func enhancedStatusIsASCII() throws {
        let config = ConfigLoader.parse("storm_reply = 550 5.\u{663}.1 Thread blocked\n", file: "t.conf", checks: .daemon)
        #expect((try? config.get()) == nil, "a non-ASCII enhanced status code was accepted")
        let folder = ReplayCorpusTests.fuzzFolder.appendingPathComponent("regressions/recorder")
        let input = try [UInt8](Data(contentsOf: folder.appendingPathComponent("known-non-ascii-enhanced-status")))
        let broken = FuzzEntry.recorder(input)
        #expect(broken == nil, "\(broken ?? "")")
    }

    /// Fixed (Replay/SessionText, found by the `recorder` target in a CI run): the session
    /// format was lexed Character by Character, and a combining mark makes one Character with
    /// the quote, blank, `#` or `~` before it. A recorded MAIL FROM address starting with U+0613
    /// was written `\"\u{613}… blank"`, whose `\"` the reader did not see, so it read back as
    /// two words and the ESMTP arguments shifted. The reader and writer now work on Unicode
    /// scalars. Input `Fuzz/regressions/recorder/known-quoted-envelope-address`; the general
    /// case is `SessionWriterTests.valuesStartingOrEndingWithMarksComeBackScalarForScalar`.
    @Test("a quoted envelope address with ESMTP arguments reads back from a recording as it was")
    func recorderQuotedEnvelopeAddress() throws {
        let folder = ReplayCorpusTests.fuzzFolder.appendingPathComponent("regressions/recorder")
        let input = try [UInt8](Data(contentsOf: folder.appendingPathComponent("known-quoted-envelope-address")))
        let broken = FuzzEntry.recorder(input)
        #expect(broken == nil, "\(broken ?? "")")
    }
}

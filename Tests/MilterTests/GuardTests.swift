import CMilterGuard
import Milter
import Testing

/// CMilterGuard: libmilter's reads go through it, and it refuses what libmilter would overrun.
struct GuardTests {
    static func accepts(_ command: Character, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                breakwater_guard_accepts(CChar(command.asciiValue!), $0.baseAddress, $0.count)
            }
        }
    }

    static func strings(_ items: String...) -> [UInt8] { items.flatMap { Array($0.utf8) + [0] } }

    @Test func libmiltersReaderIsBoundToTheGuard() {
        #expect(MilterRunner.guardActive)
    }

    @Test func macroFramesNeedTheirStringsInPairs() {
        let stage = [UInt8(ascii: "M")]
        #expect(Self.accepts("D", stage + Self.strings("i", "Q1")))
        #expect(Self.accepts("D", stage + Self.strings("i", "Q1", "{auth_authen}", "alice")))
        #expect(Self.accepts("D", stage + Self.strings("i", "")), "an empty value is still a pair")
        #expect(Self.accepts("D", stage), "a stage with no macros: Postfix sends it, libmilter ignores it")
        #expect(Self.accepts("D", stage + Self.strings("i", "Q1") + Array("tail".utf8)), "an unterminated tail is dropped by libmilter")
        #expect(!Self.accepts("D", stage + Self.strings("i", "Q1", "{mail_addr}")), "odd: a name without a value")
        #expect(!Self.accepts("D", stage + Self.strings("i")))
        #expect(!Self.accepts("D", stage + Array("i\0Q1".utf8)), "one NUL: one string")
    }

    @Test func everyOtherCommandIsLibmiltersToJudge() {
        for command in ["M", "R", "H", "U", "L", "B", "C"] as [Character] {
            #expect(Self.accepts(command, Array("<a@example.test>".utf8)), "\(command)")
            #expect(Self.accepts(command, Self.strings("<a@example.test>", "SIZE=10", "odd")), "\(command)")
        }
    }
}

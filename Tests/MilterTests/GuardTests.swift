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

    @Test func macroFramesNeedPairsAndAFinalNUL() {
        let stage = [UInt8(ascii: "M")]
        #expect(Self.accepts("D", stage + Self.strings("i", "Q1")))
        #expect(Self.accepts("D", stage + Self.strings("i", "Q1", "{auth_authen}", "alice")))
        #expect(Self.accepts("D", stage + Self.strings("i", "")), "an empty value is still a pair")
        #expect(!Self.accepts("D", stage + Self.strings("i", "Q1", "{mail_addr}")), "odd: a name without a value")
        #expect(!Self.accepts("D", stage + Self.strings("i")))
        #expect(!Self.accepts("D", stage + Array("i\0Q1".utf8)), "no final NUL")
        #expect(!Self.accepts("D", stage), "a stage and nothing else")
        #expect(!Self.accepts("D", []))
    }

    @Test func stringCommandsNeedTheirFinalNUL() {
        for command in ["M", "R", "H", "U"] as [Character] {
            #expect(Self.accepts(command, Self.strings("<a@example.test>", "SIZE=10")))
            #expect(!Self.accepts(command, Array("<a@example.test>".utf8)), "\(command) without a NUL")
            #expect(Self.accepts(command, []), "\(command) empty: libmilter's own checks apply")
        }
        // Other commands are libmilter's to judge.
        #expect(Self.accepts("L", Array("Subject".utf8)))
        #expect(Self.accepts("B", Array("body".utf8)))
    }
}

import Glibc
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

    /// The accept wrapper is the accept libmilter binds to; a connection, or a plain "nothing
    /// waiting" (EAGAIN), passes through without a pause (only a want of descriptors or memory
    /// pauses; ConnectionFloodTests shows that at the fd limit).
    @Test func acceptIsBoundToThePausingWrapperAndPassesResultsThrough() throws {
        #expect(breakwater_accept_pause_active())
        var fds: [Int32] = [0, 0]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        try #require(listener >= 0)
        defer { close(listener) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = "/tmp/breakwater-accept-\(getpid()).sock"
        unlink(path)
        defer { unlink(path) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
        }
        let length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        try #require(bound == 0 && listen(listener, 4) == 0)
        let pausesBefore = MilterRunner.acceptPauses
        #expect(accept(listener, nil, nil) == -1 && errno == EAGAIN)
        let client = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, length) } }
        try #require(connected == 0)
        let served = accept(listener, nil, nil)
        #expect(served >= 0)
        if served >= 0 { close(served) }
        #expect(MilterRunner.acceptPauses == pausesBefore)
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

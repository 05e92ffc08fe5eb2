@testable import BreakwaterConfig
import Glibc
import Testing

/// The `shared_state*` keys (issue #15) as breakwater.conf spells them: defaults, good values,
/// each mistake at its line, and the password file, whose content no problem ever repeats.
struct SharedStateConfigTests {
    private func parse(_ text: String, checks: ConfigChecks = .none) -> Result<DaemonConfig, ConfigErrors> {
        ConfigLoader.parse(text, file: "t.conf", checks: checks)
    }

    private func config(_ text: String, checks: ConfigChecks = .none,
                        sourceLocation: SourceLocation = #_sourceLocation) throws -> DaemonConfig {
        switch parse(text, checks: checks) {
        case .success(let c): return c
        case .failure(let e):
            Issue.record("unexpected problems: \(e)", sourceLocation: sourceLocation)
            throw e
        }
    }

    private func problems(_ text: String, checks: ConfigChecks = .none) -> [String] {
        if case .failure(let e) = parse(text, checks: checks) { return e.problems.map(\.description) }
        return []
    }

    /// The loader with the daemon's password file check (and no `listen` check).
    private let readingPasswords = ConfigChecks(listen: { _ in nil }, sharedStatePasswordFile: ConfigChecks.readsPasswordFile)

    @Test func offByDefaultAndWhenEmpty() throws {
        #expect(try config("").sharedState == nil)
        #expect(try config("shared_state =\n").sharedState == nil)
        #expect(try config("shared_state = redis://10.0.0.7\nshared_state =\n").sharedState == nil, "the last line counts")
    }

    @Test func theOtherKeysAreReadButIgnoredWhileSharedStateIsEmpty() throws {
        let c = try config("""
            shared_state_prefix = mx:
            shared_state_timeout = 2s
            shared_state_failure = tempfail
            shared_state_password_file = /nonexistent/redis.password
            """, checks: readingPasswords)
        #expect(c.sharedState == nil)
        #expect(c == DaemonConfig())
        // They are still checked: a bad value is a problem even while off.
        #expect(problems("shared_state_timeout = soon\n") == [#"t.conf:1: shared_state_timeout: "soon" is not a timeout (write 50ms, 2s or a number of milliseconds)"#])
    }

    @Test func theDefaultsOnceAnAddressIsSet() throws {
        let shared = try #require(try config("shared_state = redis://10.0.0.7:6380/2\n").sharedState)
        #expect(shared == SharedStateSettings(address: .tcp(host: "10.0.0.7", port: 6380, database: 2)))
        #expect(shared.passwordFile == "")
        #expect(shared.prefix == "breakwater:")
        #expect(shared.timeoutMilliseconds == 50)
        #expect(shared.timeout == .milliseconds(50))
        #expect(shared.failure == .local)
    }

    @Test func everyKeyInAnyOrder() throws {
        let shared = try #require(try config("""
            shared_state_failure = TempFail
            shared_state_timeout = 250
            Shared_State_Prefix = bw:mx-eu:
            shared_state_password_file = /etc/breakwater/redis.password
            shared_state = unix:/run/redis/redis-server.sock
            """).sharedState)
        #expect(shared == SharedStateSettings(address: .unix(path: "/run/redis/redis-server.sock"),
                                              passwordFile: "/etc/breakwater/redis.password", prefix: "bw:mx-eu:",
                                              timeoutMilliseconds: 250, failure: .tempfail))
    }

    @Test(arguments: [("50ms", 50), ("1ms", 1), ("2s", 2_000), ("10s", 10_000), ("10000", 10_000), ("1", 1), ("750MS", 750)] as [(String, Int64)])
    func timeouts(text: String, milliseconds: Int64) throws {
        let shared = try #require(try config("shared_state = redis://h\nshared_state_timeout = \(text)\n").sharedState)
        #expect(shared.timeoutMilliseconds == milliseconds)
    }

    @Test func theTimeoutIsShownAsItWouldBeWritten() {
        #expect(SharedStateSettings(address: .unix(path: "/s")).timeoutText == "50ms")
        #expect(SharedStateSettings(address: .unix(path: "/s"), timeoutMilliseconds: 2_000).timeoutText == "2s")
        #expect(SharedStateSettings(address: .unix(path: "/s"), timeoutMilliseconds: 1_500).timeoutText == "1500ms")
    }

    @Test(arguments: [
        ("shared_state = localhost:6379", #"shared_state: "localhost:6379": unknown scheme; expected redis://HOST:PORT[/DB] or unix:/PATH"#),
        ("shared_state = redis://mx:0", #"shared_state: "redis://mx:0": port "0" is not a number from 1 to 65535; expected redis://HOST:PORT[/DB] or unix:/PATH"#),
        ("shared_state = rediss://h", #"shared_state: "rediss://h": TLS (rediss://) is not supported by Debian's hiredis 0.14; reach the server through a tunnel; expected redis://HOST:PORT[/DB] or unix:/PATH"#),
        ("shared_state = unix:run/redis.sock", #"shared_state: "unix:run/redis.sock": the socket path must be absolute; expected redis://HOST:PORT[/DB] or unix:/PATH"#),
        ("shared_state_password_file = redis.password", #"shared_state_password_file: "redis.password" is not an absolute path"#),
        ("shared_state_prefix = a{b}", #"shared_state_prefix: "a{b}" is not a key prefix (1 to 64 bytes of printable ASCII, no spaces, no { or }; e.g. breakwater:)"#),
        ("shared_state_prefix = bw: mx", #"shared_state_prefix: "bw: mx" is not a key prefix (1 to 64 bytes of printable ASCII, no spaces, no { or }; e.g. breakwater:)"#),
        ("shared_state_prefix = ", #"shared_state_prefix: "" is not a key prefix (1 to 64 bytes of printable ASCII, no spaces, no { or }; e.g. breakwater:)"#),
        ("shared_state_prefix = bw:é", #"shared_state_prefix: "bw:é" is not a key prefix (1 to 64 bytes of printable ASCII, no spaces, no { or }; e.g. breakwater:)"#),
        ("shared_state_prefix = " + String(repeating: "p", count: 65), "shared_state_prefix: \"" + String(repeating: "p", count: 65)
            + "\" is not a key prefix (1 to 64 bytes of printable ASCII, no spaces, no { or }; e.g. breakwater:)"),
        ("shared_state_timeout = 0", #"shared_state_timeout: "0" is not a timeout from 1ms to 10s"#),
        ("shared_state_timeout = 0ms", #"shared_state_timeout: "0ms" is not a timeout from 1ms to 10s"#),
        ("shared_state_timeout = 10001", #"shared_state_timeout: "10001" is not a timeout from 1ms to 10s"#),
        ("shared_state_timeout = 11s", #"shared_state_timeout: "11s" is not a timeout from 1ms to 10s"#),
        ("shared_state_timeout = 99999999999999999s", #"shared_state_timeout: "99999999999999999s" is not a timeout from 1ms to 10s"#),
        ("shared_state_timeout = 1.5s", #"shared_state_timeout: "1.5s" is not a timeout (write 50ms, 2s or a number of milliseconds)"#),
        ("shared_state_timeout = 2m", #"shared_state_timeout: "2m" is not a timeout (write 50ms, 2s or a number of milliseconds)"#),
        ("shared_state_timeout = -5", #"shared_state_timeout: "-5" is not a timeout (write 50ms, 2s or a number of milliseconds)"#),
        ("shared_state_timeout = ms", #"shared_state_timeout: "ms" is not a timeout (write 50ms, 2s or a number of milliseconds)"#),
        ("shared_state_failure = accept", #"shared_state_failure: "accept" is not one of local, tempfail"#),
    ])
    func aBadValueIsAProblemAtItsLine(line: String, message: String) {
        #expect(problems("log_level = info\n\(line)\n") == ["t.conf:2: \(message)"])
        if !line.hasPrefix("shared_state =") {
            #expect(problems("\(line)\nshared_state = redis://10.0.0.7\n") == ["t.conf:1: \(message)"])
        }
    }

    @Test func aPrefixMayUseAnyPrintableASCIIButBraces() throws {
        let prefix = String(decoding: (33...126).filter { $0 != UInt8(ascii: "{") && $0 != UInt8(ascii: "}") }.prefix(64), as: UTF8.self)
        #expect(try config("shared_state = redis://h\nshared_state_prefix = \(prefix)\n").sharedState?.prefix == prefix)
    }

    @Test func aPasswordInTheAddressIsNotRepeated() {
        let said = problems("shared_state = redis://breakwater:s3cret@10.0.0.7:6379\n")
        #expect(said.count == 1)
        #expect(said.first?.hasPrefix("t.conf:1: shared_state: \"redis://…@10.0.0.7:6379\": a user or password does not belong") == true, "\(said)")
        #expect(!said.joined().contains("s3cret"))
    }

    @Test func aMisspeltKeyIsSuggested() {
        #expect(problems("shared_stat = redis://h\n") == [#"t.conf:1: unknown key "shared_stat" (did you mean "shared_state"?)"#])
        #expect(problems("shared_state_timout = 2s\n") == [#"t.conf:1: unknown key "shared_state_timout" (did you mean "shared_state_timeout"?)"#])
        #expect(ConfigLoader.keys.contains("shared_state_failure"))
    }

    // MARK: the password file

    private static let secret = "Zq7-very-secret-Pw"

    @Test func aPasswordAlone() throws {
        let folder = try Folder()
        let file = try folder.write("pw", "\(Self.secret)\n")
        #expect(try SharedStateSettings.readCredentials(path: file).get() == RedisCredentials(password: Self.secret))
        try folder.write("pw", "  \(Self.secret) \t\r\n\n")
        #expect(try SharedStateSettings.readCredentials(path: file).get() == RedisCredentials(password: Self.secret), "blanks around it")
        try folder.write("pw", Self.secret)
        #expect(try SharedStateSettings.readCredentials(path: file).get() == RedisCredentials(password: Self.secret), "no newline")
        try folder.write("pw", "\n  \n\(Self.secret)\nignored\n")
        #expect(try SharedStateSettings.readCredentials(path: file).get() == RedisCredentials(password: Self.secret), "the first non-empty line")
    }

    @Test func aUserAndPassword() throws {
        let folder = try Folder()
        let file = try folder.write("pw", "breakwater \t \(Self.secret)\r\n")
        let credentials = try SharedStateSettings.readCredentials(path: file).get()
        #expect(credentials == RedisCredentials(user: "breakwater", password: Self.secret))
        #expect(credentials.description == "user breakwater with a password")
    }

    @Test func credentialsNeverShowThePassword() {
        let credentials = RedisCredentials(user: "breakwater", password: Self.secret)
        var dumped = ""
        dump(credentials, to: &dumped)
        for shown in ["\(credentials)", String(reflecting: credentials), dumped, "\(RedisCredentials(password: Self.secret))"] {
            #expect(!shown.contains(Self.secret), "\(shown)")
        }
    }

    @Test func everyWayAPasswordFileFailsSaysWhyWithoutThePassword() throws {
        let folder = try Folder()
        try folder.write("empty", "")
        try folder.write("blank", " \n\t\n\r\n")
        try folder.write("three", "breakwater \(Self.secret) extra\n")
        try folder.write("latin1", "x")
        let latin1 = folder.path + "/latin1"
        let bytes: [UInt8] = Array(Self.secret.utf8) + [0xE9, 0x0A]
        #expect(bytes.withUnsafeBytes { raw in
            let fd = open(latin1, O_WRONLY | O_TRUNC)
            defer { close(fd) }
            return write(fd, raw.baseAddress, raw.count)
        } == bytes.count)
        try folder.write("big", String(repeating: Self.secret, count: 300))
        let cases: [(String, String)] = [
            (folder.path + "/missing", "No such file or directory"),
            (folder.path, "not a regular file"),
            (folder.path + "/empty", "it is empty"),
            (folder.path + "/blank", "it is empty"),
            (folder.path + "/three", "its first line holds 3 words (write the password alone, or a user and its password, on one line)"),
            (latin1, "it is not UTF-8 text"),
            (folder.path + "/big", "larger than 4096 bytes"),
            ("", "no file is named"),
        ]
        for (path, reason) in cases {
            guard case .failure(let error) = SharedStateSettings.readCredentials(path: path) else {
                Issue.record("\(path) was accepted")
                continue
            }
            #expect(error.reason == reason, "\(path)")
            #expect(error.description == "cannot use the password file \"\(path)\": \(reason)")
            #expect(!error.description.contains(Self.secret))
        }
    }

    @Test func withTheDaemonsChecksAnUnusablePasswordFileIsAProblemAtItsLine() throws {
        let folder = try Folder()
        let three = try folder.write("three", "a \(Self.secret) c\n")
        let text = "shared_state_password_file = \(folder.path)/missing\nlog_level = info\nshared_state = redis://10.0.0.7\n"
        #expect(problems(text, checks: readingPasswords) == [
            "t.conf:1: shared_state_password_file: cannot use the password file \"\(folder.path)/missing\": No such file or directory"])
        #expect(problems(text) == [], "a reader that does not connect (offline replay) does not open it")
        let said = problems("shared_state = redis://10.0.0.7\n\nshared_state_password_file = \(three)\n", checks: readingPasswords)
        #expect(said == ["t.conf:3: shared_state_password_file: cannot use the password file \"\(three)\": its first line holds 3 words "
            + "(write the password alone, or a user and its password, on one line)"])
        #expect(!said.joined().contains(Self.secret))

        let good = try folder.write("good", "\(Self.secret)\n")
        let c = try config("shared_state = redis://10.0.0.7\nshared_state_password_file = \(good)\n", checks: readingPasswords)
        #expect(c.sharedState?.passwordFile == good)
        #expect(!"\(c)".contains(Self.secret), "the configuration holds the path, never the password")
    }

    @Test func thePasswordFileIsOnlyOpenedWhenSharedStateIsOn() throws {
        #expect(problems("shared_state_password_file = /nonexistent/pw\n", checks: readingPasswords) == [])
        #expect(problems("shared_state = redis://h\nshared_state_password_file = /nonexistent/pw\nshared_state =\n",
                         checks: readingPasswords) == [])
    }
}

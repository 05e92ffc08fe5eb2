import Testing
import BreakwaterConfig
import SharedState
import TestSupport

// A RedisConnection against a real redis-server the test starts: what goes in comes back, byte
// for byte; counters, expiry, passwords, databases, unix sockets and scripts work as Redis says.

@Suite(withRedis) struct RedisConnectionTests {
    @Test func valuesComeBackByteForByte() throws {
        let redis = try PrivateRedis()
        let connection = try redis.connect()
        let text = "line one\r\nline two\0after a NUL, é, ü, ✉ and 🌊\r\n"
        #expect(try connection.command(["SET", "bw:text\r\n\0key", text]) == .status("OK"))
        #expect(try connection.command(["GET", "bw:text\r\n\0key"]) == .string(Array(text.utf8)))

        let bytes: [UInt8] = [0, 13, 10, 0xFF, 0xFE, 0x80, 0xC3, 0x28, 0, 36, 42]  // not UTF-8, and RESP's own bytes
        #expect(try connection.command(bytes: [Array("SET".utf8), [0xFF, 0], bytes]) == .status("OK"))
        #expect(try connection.command(bytes: [Array("GET".utf8), [0xFF, 0]]) == .string(bytes))
        #expect(try connection.command(["STRLEN", "bw:text\r\n\0key"]) == .integer(Int64(text.utf8.count)))

        #expect(try connection.command(["SET", "bw:empty", ""]) == .status("OK"))
        #expect(try connection.command(["GET", "bw:empty"]) == .string([]), "an empty value is not nil")
        #expect(try connection.command(["GET", "bw:missing"]) == .null)
        #expect(try connection.command(["MGET", "bw:empty", "bw:missing"]) == .array([.string([]), .null]))
    }

    @Test func countersExpireAndAServerErrorLeavesTheConnectionUsable() throws {
        let redis = try PrivateRedis()
        let connection = try redis.connect()
        for expected: Int64 in 1...3 {
            #expect(try connection.command(["INCR", "bw:replies"]) == .integer(expected))
        }
        #expect(try connection.command(["TTL", "bw:replies"]) == .integer(-1), "no expiry yet")
        #expect(try connection.command(["EXPIRE", "bw:replies", "600"]) == .integer(1))
        let ttl = try #require(try connection.command(["TTL", "bw:replies"]).integer)
        #expect((599...600).contains(ttl))
        #expect(try connection.command(["PEXPIRE", "bw:replies", "1"]) == .integer(1))
        let gone = TestEnvironment.waitUntil(seconds: 5) { (try? connection.command(["EXISTS", "bw:replies"])) == .integer(0) }
        #expect(gone, "the key expired")

        #expect(try connection.command(["SET", "bw:word", "storm"]) == .status("OK"))
        let (error, _) = failure { () throws(RedisError) in try connection.command(["INCR", "bw:word"]) }
        #expect(error?.kind == .serverError)
        #expect(error?.connectionIsUnusable == false)
        #expect(error?.serverErrorCode == "ERR")
        #expect(error?.message.contains("not an integer") == true, "\(String(describing: error))")
        #expect(connection.isUsable)
        #expect(try connection.command(["GET", "bw:word"]).text == "storm", "the next command works")
    }

    @Test func theRightPasswordIsAccepted() throws {
        let redis = try PrivateRedis(password: "right horse", aclUser: (name: "breakwater", password: "battery staple"))
        let connection = try redis.connect(credentials: RedisCredentials(password: "right horse"))
        #expect(try connection.command(["ACL", "WHOAMI"]).text == "default")
        let user = try redis.connect(credentials: RedisCredentials(user: "breakwater", password: "battery staple"))
        #expect(try user.command(["ACL", "WHOAMI"]).text == "breakwater")
    }

    @Test func aWrongPasswordIsAnAuthenticationErrorThatDoesNotRepeatIt() throws {
        let redis = try PrivateRedis(password: "right horse", aclUser: (name: "breakwater", password: "battery staple"))
        for credentials in [RedisCredentials(password: "wrong horse"), RedisCredentials(user: "breakwater", password: "wrong staple")] {
            let (error, took) = failure { () throws(RedisError) in try redis.connect(credentials: credentials) }
            #expect(error?.kind == .authenticationFailed, "\(String(describing: error))")
            #expect(error?.message.contains("AUTH refused") == true)
            #expect(error?.message.contains("WRONGPASS") == true)
            #expect(error?.description.contains("wrong") == false, "no password in the message: \(String(describing: error))")
            #expect(took < shortTimeout + slack)
            #expect("\(credentials)".contains("wrong") == false, "credentials never print their password")
        }
    }

    @Test func noPasswordForAServerThatWantsOneIsAClearError() throws {
        let redis = try PrivateRedis(password: "right horse")
        let (error, _) = failure { () throws(RedisError) in try redis.connect() }
        #expect(error?.kind == .authenticationFailed)
        #expect(error?.message.contains("requires a password") == true, "\(String(describing: error))")
        #expect(error?.serverErrorCode == "NOAUTH")
    }

    @Test func aUnixSocketServesTheSameCommands() throws {
        let redis = try PrivateRedis(unixSocket: true)
        let connection = try redis.connect()
        #expect(connection.address == .unix(path: redis.socketPath!))
        #expect(try connection.command(["SET", "bw:via", "unix socket"]) == .status("OK"))
        #expect(try connection.command(["GET", "bw:via"]).text == "unix socket")
    }

    @Test func theAddressDatabaseIsSelected() throws {
        let redis = try PrivateRedis()
        let third = try redis.connect(database: 3)
        #expect(try third.command(["SET", "bw:where", "db 3"]) == .status("OK"))
        let first = try redis.connect()
        #expect(try first.command(["GET", "bw:where"]) == .null, "database 0 does not see database 3's keys")
        #expect(try first.command(["SELECT", "3"]) == .status("OK"))
        #expect(try first.command(["GET", "bw:where"]).text == "db 3")
    }

    @Test func aScriptIsLoadedOnceAndAgainWhenTheServerForgetsIt() throws {
        let redis = try PrivateRedis()
        let connection = try redis.connect()
        let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        #expect(try connection.evalSHA(script, keys: ["bw:deliveries"], arguments: ["5"]) == .integer(5))
        #expect(try connection.evalSHA(script, keys: ["bw:deliveries"], arguments: ["7"]) == .integer(12))
        #expect(connection.scriptLoads == 1, "loaded at first use only")

        let sha = try #require(try connection.command(["SCRIPT", "LOAD", script.source]).text)
        #expect(try connection.command(["SCRIPT", "FLUSH"]) == .status("OK"))
        #expect(try connection.command(["SCRIPT", "EXISTS", sha]) == .array([.integer(0)]))
        #expect(try connection.evalSHA(script, keys: ["bw:deliveries"], arguments: ["1"]) == .integer(13), "NOSCRIPT answered by a reload")
        #expect(connection.scriptLoads == 2)
        #expect(try connection.command(["SCRIPT", "EXISTS", sha]) == .array([.integer(1)]))

        let broken = RedisScript("return redis.call('NOSUCHCOMMAND')")
        let (error, _) = failure { () throws(RedisError) in try connection.evalSHA(broken, keys: [], arguments: []) }
        #expect(error?.kind == .serverError, "a failing script is the server's error")
        #expect(error?.connectionIsUnusable == false)
        #expect(try connection.evalSHA(script, keys: ["bw:deliveries"], arguments: ["1"]) == .integer(14))
    }
}

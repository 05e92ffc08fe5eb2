import Glibc
import Testing
import SharedState
import TestSupport

// Every way a Redis can fail the daemon: nothing listening, no answer, a peer that is not Redis,
// a server killed mid-use. Each ends in a clear error within the timeout, never a hang.

@Suite struct RedisUnreachableTests {
    @Test func nothingListeningOnThePortFailsAtOnce() throws {
        let port = try TestEnvironment.freePort()
        let (error, took) = failure { () throws(RedisError) in
            try RedisConnection(to: .tcp(host: "127.0.0.1", port: port, database: 0), timeout: shortTimeout)
        }
        #expect(error?.kind == .connectFailed, "\(String(describing: error))")
        #expect(error?.message.contains("Connection refused") == true)
        #expect(error?.message.contains("127.0.0.1:\(port)") == true, "the message names the server")
        #expect(error?.connectionIsUnusable == true)
        #expect(took < shortTimeout + slack)
    }

    @Test func noSocketAtTheUnixPathFailsAtOnce() throws {
        let folder = try TestEnvironment.temporaryFolder(prefix: "bw-redis-none")
        defer { TestEnvironment.remove(folder) }
        let (error, took) = failure { () throws(RedisError) in
            try RedisConnection(to: .unix(path: "\(folder)/redis.sock"), timeout: shortTimeout)
        }
        #expect(error?.kind == .connectFailed, "\(String(describing: error))")
        #expect(error?.message.contains("No such file") == true)
        #expect(took < shortTimeout + slack)
    }

    @Test func aListenerThatNeverAcceptsTimesOutTheConnect() throws {
        // why: with its accept queue full, the kernel drops further SYNs, so the connect waits.
        let listener = try NotRedisServer(greeting: nil, backlog: 0)
        let filler = try listener.fillAcceptQueue()
        defer { close(filler) }
        let (error, took) = failure { () throws(RedisError) in
            try RedisConnection(to: .tcp(host: "127.0.0.1", port: listener.port, database: 0), timeout: shortTimeout)
        }
        #expect(error?.kind == .timeout, "\(String(describing: error))")
        #expect(error?.message.contains("no connection within 200 ms") == true)
        #expect(took >= shortTimeout - .milliseconds(20))
        #expect(took < shortTimeout + slack)
    }

    @Test func aServerThatNeverAnswersTimesOut() throws {
        let silent = try NotRedisServer(greeting: nil)
        let (error, took) = failure { () throws(RedisError) in
            try RedisConnection(to: .tcp(host: "127.0.0.1", port: silent.port, database: 0), timeout: shortTimeout)
        }
        #expect(error?.kind == .timeout, "\(String(describing: error))")
        #expect(error?.message.contains("no answer within 200 ms") == true)
        #expect(error?.connectionIsUnusable == true)
        #expect(took >= shortTimeout - .milliseconds(20))
        #expect(took < shortTimeout + slack)
    }

    @Test func aPeerThatIsNotRedisIsAProtocolError() throws {
        let web = try NotRedisServer(greeting: "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        let (error, took) = failure { () throws(RedisError) in
            try RedisConnection(to: .tcp(host: "127.0.0.1", port: web.port, database: 0), timeout: shortTimeout)
        }
        #expect(error?.kind == .protocolError, "\(String(describing: error))")
        #expect(error?.message.contains("not a Redis server") == true)
        #expect(error?.connectionIsUnusable == true)
        #expect(took < shortTimeout + slack)
    }
}

@Suite(withRedis) struct RedisKilledTests {
    // On a unix socket the next write to the dead server raises SIGPIPE: the test process living
    // on to see the error shows that RedisConnection keeps that signal from ending a daemon.
    @Test(arguments: [false, true]) func aKilledServerMakesTheConnectionUnusableAndANewOneWorksWhenItIsBack(unixSocket: Bool) throws {
        let redis = try PrivateRedis(unixSocket: unixSocket)
        let connection = try redis.connect()
        #expect(try connection.command(["SET", "bw:block", "until 17:00"]) == .status("OK"))
        redis.kill()

        let (error, took) = failure { () throws(RedisError) in try connection.command(["GET", "bw:block"]) }
        #expect(error?.connectionIsUnusable == true, "\(String(describing: error))")
        #expect(error?.description.contains("connection unusable") == true)
        #expect([.connectionClosed, .io].contains(error?.kind), "\(String(describing: error))")
        #expect(took < shortTimeout + slack, "fails fast")
        #expect(!connection.isUsable)

        let (again, tookAgain) = failure { () throws(RedisError) in try connection.command(["PING"]) }
        #expect(again?.connectionIsUnusable == true, "a broken connection stays broken")
        #expect(again?.message.contains("no command sent since") == true)
        #expect(tookAgain < .milliseconds(50), "without touching the network")

        let (down, _) = failure { () throws(RedisError) in try redis.connect() }
        #expect(down?.kind == .connectFailed, "while the server is down: \(String(describing: down))")

        try redis.restart()
        let fresh = try redis.connect()
        #expect(try fresh.command(["GET", "bw:block"]) == .null, "nothing was saved (--save '')")
        #expect(try fresh.command(["PING"]) == .status("PONG"))
    }
}

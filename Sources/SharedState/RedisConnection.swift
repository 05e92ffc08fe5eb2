internal import CHiredis
package import BreakwaterConfig
import Glibc

/// One blocking connection to a Redis or Valkey server, through one hiredis `redisContext`.
///
/// Not thread-safe and deliberately not `Sendable`: a hiredis context reads its replies in the
/// order it sent its commands, so two threads sharing one would read each other's answers. The
/// plan is one connection per libmilter worker (or a pool that lends each to one thread at a
/// time). Every command is bounded by `timeout`, which applies to each wait for the server (the
/// connect, and each read or write), not to the command as a whole; a host name is resolved
/// before the connect and that lookup is not bounded: prefer an address.
///
/// Once hiredis marks the context broken (I/O or protocol failure, timeout), every later call
/// throws at once with `connectionIsUnusable`: close this connection and open a new one.
package final class RedisConnection {
    /// The server.
    package let address: SharedStateAddress
    /// How long any one wait for the server may take.
    package let timeout: Duration
    /// How many times a script was loaded with `SCRIPT LOAD` (first use, and after NOSCRIPT).
    package private(set) var scriptLoads = 0

    private let context: UnsafeMutablePointer<redisContext>
    /// The failure that broke the context; nil while it is usable.
    private var failure: RedisError?
    /// Each script loaded on this connection and its SHA1, by the script's fingerprint.
    private var loadedScripts: [Int: (source: String, sha: String)] = [:]

    /// True until a failure left the connection unusable.
    package var isUsable: Bool { failure == nil }

    /// Connects to `address`, sets `timeout` on the socket, sends `AUTH` when `credentials` are
    /// given, then `SELECT`s the address's database (or `PING`s for database 0), so that a wrong
    /// password, a server that wants one, or a peer that is not Redis fail here. `timeout` is
    /// raised to 1 ms when shorter (zero would mean "wait for ever" to the socket).
    package init(to address: SharedStateAddress, timeout: Duration = .milliseconds(50),
                credentials: RedisCredentials? = nil) throws(RedisError) {
        self.address = address
        self.timeout = max(timeout, .milliseconds(1))
        let limit = Self.timeval(of: self.timeout)
        let (made, code) = ignoringBrokenPipe { () -> (UnsafeMutablePointer<redisContext>?, Int32) in
            let made = switch address {
            case let .tcp(host, port, _): redisConnectWithTimeout(host, Int32(port), limit)
            case let .unix(path): redisConnectUnixWithTimeout(path, limit)
            }
            return (made, errno)
        }
        guard let made else {
            throw RedisError(.io, "redis \(address): hiredis could not allocate a connection", connectionIsUnusable: true)
        }
        if made.pointee.err != 0 {
            let error = Self.error(of: made, errno: code, at: address, connecting: true, timeout: self.timeout)
            redisFree(made)
            throw error
        }
        context = made
        // From here deinit frees the context, also when the init throws below.
        guard redisSetTimeout(made, limit) == REDIS_OK else {
            throw Self.error(of: made, errno: errno, at: address, connecting: true, timeout: self.timeout)
        }
        if let credentials { try authenticate(credentials) }
        if address.database != 0 {
            _ = try command(["SELECT", String(address.database)])
        } else {
            _ = try command(["PING"])
        }
    }

    deinit {
        redisFree(context)
    }

    /// Runs one command, each argument sent byte for byte (`redisCommandArgv`: no format string,
    /// so NUL, CR/LF and any byte are safe). Throws a `.serverError` (connection still usable)
    /// when the server answers with an error, and any other kind when the connection is lost.
    package func command(_ arguments: [String]) throws(RedisError) -> RedisReply {
        try command(bytes: arguments.map { Array($0.utf8) })
    }

    /// Runs one command whose arguments are raw bytes (values that are not UTF-8 text).
    package func command(bytes arguments: [[UInt8]]) throws(RedisError) -> RedisReply {
        precondition(!arguments.isEmpty, "a Redis command needs at least its name")
        if let failure {
            throw RedisError(failure.kind, "\(failure.message); no command sent since", connectionIsUnusable: true)
        }
        // why one buffer: every argument then has a stable address for the length of the call.
        var joined: [UInt8] = []
        var offsets: [Int] = []
        var lengths: [Int] = []
        for argument in arguments {
            offsets.append(joined.count)
            lengths.append(argument.count)
            joined += argument
        }
        joined.append(0)  // never empty, so the buffer has a base address
        let context = self.context
        let (raw, code) = joined.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars -> (UnsafeMutableRawPointer?, Int32) in
                var argv: [UnsafePointer<CChar>?] = offsets.map { UnsafePointer(chars.baseAddress! + $0) }
                return ignoringBrokenPipe {
                    let reply = redisCommandArgv(context, Int32(argv.count), &argv, lengths)
                    return (reply, errno)
                }
            }
        }
        guard let raw else {
            let error = context.pointee.err != 0
                ? Self.error(of: context, errno: code, at: address, connecting: false, timeout: timeout)
                : RedisError(.io, "redis \(address): no reply and no error from hiredis", connectionIsUnusable: true)
            failure = error
            throw error
        }
        defer { freeReplyObject(raw) }
        let reply = Self.reply(from: raw.assumingMemoryBound(to: redisReply.self))
        if case let .error(text) = reply {
            let refused = text.hasPrefix("NOAUTH") || text.hasPrefix("WRONGPASS")
            let words = text.hasPrefix("NOAUTH")
                ? "the server requires a password (set shared_state_password_file): \(text)"
                : "\(String(decoding: arguments[0].prefix(32), as: UTF8.self)) refused: \(text)"
            throw RedisError(refused ? .authenticationFailed : .serverError, "redis \(address): \(words)",
                             connectionIsUnusable: false, serverText: text)
        }
        return reply
    }

    /// Runs `script` with `EVALSHA`: loads it (`SCRIPT LOAD`) at its first use on this connection,
    /// and loads it again and retries once when the server has lost it (`NOSCRIPT`, after a
    /// restart or `SCRIPT FLUSH`).
    package func evalSHA(_ script: RedisScript, keys: [String], arguments: [String]) throws(RedisError) -> RedisReply {
        let sha: String
        // why the source is compared too: two sources may share a hash (then the other is loaded again).
        if let known = loadedScripts[script.fingerprint], known.source == script.source {
            sha = known.sha
        } else {
            sha = try load(script)
        }
        do throws(RedisError) {
            return try command(["EVALSHA", sha, String(keys.count)] + keys + arguments)
        } catch where error.serverErrorCode == "NOSCRIPT" {
            let reloaded = try load(script)
            return try command(["EVALSHA", reloaded, String(keys.count)] + keys + arguments)
        }
    }

    private func load(_ script: RedisScript) throws(RedisError) -> String {
        let reply = try command(["SCRIPT", "LOAD", script.source])
        guard case let .string(bytes) = reply else {
            throw RedisError(.protocolError, "redis \(address): SCRIPT LOAD answered \(reply), not a SHA1",
                             connectionIsUnusable: false)
        }
        let sha = String(decoding: bytes, as: UTF8.self)
        loadedScripts[script.fingerprint] = (script.source, sha)
        scriptLoads += 1
        return sha
    }

    private func authenticate(_ credentials: RedisCredentials) throws(RedisError) {
        let arguments = ["AUTH"] + (credentials.user.map { [$0] } ?? []) + [credentials.password]
        do throws(RedisError) {
            _ = try command(arguments)
        } catch where !error.connectionIsUnusable {
            // why our own words: the server's text is kept, the command line (with the password) is not.
            let who = credentials.user.map { "user \($0)" } ?? "the password"
            throw RedisError(.authenticationFailed,
                             "redis \(address): AUTH refused for \(who): \(error.serverText ?? error.message)",
                             connectionIsUnusable: false, serverText: error.serverText)
        }
    }

    // MARK: hiredis's replies and errors, in Swift words

    private static func reply(from reply: UnsafePointer<redisReply>) -> RedisReply {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING: return .string(bytes(r.str, r.len))
        case REDIS_REPLY_INTEGER: return .integer(Int64(r.integer))
        case REDIS_REPLY_NIL: return .null
        case REDIS_REPLY_STATUS: return .status(String(decoding: bytes(r.str, r.len), as: UTF8.self))
        case REDIS_REPLY_ERROR: return .error(String(decoding: bytes(r.str, r.len), as: UTF8.self))
        case REDIS_REPLY_ARRAY:
            return .array((0..<r.elements).map { index in
                r.element[index].map { Self.reply(from: $0) } ?? .null
            })
        default: return .error("hiredis reply of unknown type \(r.type)")
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ count: Int) -> [UInt8] {
        guard let pointer, count > 0 else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: count) { Array(UnsafeBufferPointer(start: $0, count: count)) }
    }

    private static func error(of context: UnsafeMutablePointer<redisContext>, errno code: Int32, at address: SharedStateAddress,
                              connecting: Bool, timeout: Duration) -> RedisError {
        let text = String(cString: breakwater_redis_errstr(context))
        let doing = connecting ? "connect to" : "talk to"
        let milliseconds = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        switch context.pointee.err {
        case REDIS_ERR_IO where [EAGAIN, EWOULDBLOCK, ETIMEDOUT, EINPROGRESS].contains(code):
            let what = connecting ? "no connection" : "no answer"
            return RedisError(.timeout, "redis \(address): \(what) within \(milliseconds) ms", connectionIsUnusable: true)
        case REDIS_ERR_IO where connecting:
            return RedisError(.connectFailed, "redis \(address): cannot \(doing) the server: \(text)", connectionIsUnusable: true)
        case REDIS_ERR_OTHER where connecting:
            // why: hiredis reports name resolution and socket setup failures as "other".
            return RedisError(.connectFailed, "redis \(address): cannot \(doing) the server: \(text)", connectionIsUnusable: true)
        case REDIS_ERR_EOF:
            return RedisError(.connectionClosed, "redis \(address): the server closed the connection", connectionIsUnusable: true)
        case REDIS_ERR_PROTOCOL:
            return RedisError(.protocolError, "redis \(address): not a Redis server? (\(text))", connectionIsUnusable: true)
        default:
            return RedisError(.io, "redis \(address): cannot \(doing) the server: \(text)", connectionIsUnusable: true)
        }
    }

    private static func timeval(of duration: Duration) -> Glibc.timeval {
        let (seconds, attoseconds) = duration.components
        return Glibc.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}

// why spelled out: a connection handed to another thread while in use would mix two threads'
// replies; the compiler refuses to send it across isolation domains.
@available(*, unavailable)
extension RedisConnection: Sendable {}

/// Runs `body` with SIGPIPE blocked on this thread, and discards a SIGPIPE it raised.
///
/// why: hiredis writes with write(2), and a write to a server that went away (at once on a unix
/// socket) raises SIGPIPE, whose default action ends the process. Blocked, the write fails with
/// EPIPE instead and the signal stays pending on this thread until taken here. The caller's
/// mask is restored afterwards.
private func ignoringBrokenPipe<Result>(_ body: () -> Result) -> Result {
    var pipeSignal = sigset_t()
    sigemptyset(&pipeSignal)
    sigaddset(&pipeSignal, SIGPIPE)
    var previous = sigset_t()
    pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
    var before = sigset_t()
    sigpending(&before)
    let alreadyPending = sigismember(&before, SIGPIPE) == 1
    let result = body()
    if !alreadyPending {
        var after = sigset_t()
        sigpending(&after)
        if sigismember(&after, SIGPIPE) == 1 {
            var noWait = timespec(tv_sec: 0, tv_nsec: 0)
            _ = sigtimedwait(&pipeSignal, nil, &noWait)
        }
    }
    if sigismember(&previous, SIGPIPE) == 0 {
        pthread_sigmask(SIG_SETMASK, &previous, nil)
    }
    return result
}

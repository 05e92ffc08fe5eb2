import Testing
import BreakwaterConfig
import SharedState
import TestSupport

/// Suites that need a real server are skipped, with this reason, when it is not installed.
let withRedis = ConditionTrait.enabled(if: PrivateRedis.isInstalled,
                                       "needs Debian's redis-server (apt-get install redis-server)")

/// The timeout every test connection uses: short, as the daemon's will be, yet far above what a
/// local server needs.
let shortTimeout: Duration = .milliseconds(200)
/// What a bounded failure may take beyond its timeout on a busy 2-core machine.
let slack: Duration = .seconds(1)

extension PrivateRedis {
    /// The server's address as an admin would configure it.
    var address: SharedStateAddress {
        if let socketPath { return .unix(path: socketPath) }
        return .tcp(host: "127.0.0.1", port: port!, database: 0)
    }

    /// A connection to this server with the short test timeout.
    func connect(database: Int = 0, credentials: RedisCredentials? = nil) throws(RedisError) -> RedisConnection {
        var target = address
        if case let .tcp(host, port, _) = target { target = .tcp(host: host, port: port, database: database) }
        return try RedisConnection(to: target, timeout: shortTimeout, credentials: credentials)
    }
}

/// The error `body` throws, and how long it took to throw it; nil error when it did not throw.
func failure<T>(of body: () throws(RedisError) -> T) -> (error: RedisError?, took: Duration) {
    let clock = ContinuousClock()
    let start = clock.now
    do {
        _ = try body()
        return (nil, clock.now - start)
    } catch {
        return (error, clock.now - start)
    }
}

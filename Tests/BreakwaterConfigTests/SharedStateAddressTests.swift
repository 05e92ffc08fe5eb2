import Testing
import BreakwaterConfig

// The `shared_state` value as admins write it: what is accepted, and what each mistake says.

private func parsed(_ value: String) throws -> SharedStateAddress {
    try SharedStateAddress(parsing: value)
}

private func problem(_ value: String) -> String? {
    do {
        _ = try SharedStateAddress(parsing: value)
        return nil
    } catch {
        return error.description
    }
}

@Test func aHostAndPortWithAndWithoutADatabase() throws {
    #expect(try parsed("redis://redis.example.net:6380") == .tcp(host: "redis.example.net", port: 6380, database: 0))
    #expect(try parsed("redis://10.0.0.7:6379/3") == .tcp(host: "10.0.0.7", port: 6379, database: 3))
    #expect(try parsed("redis://[2001:db8::7]:7000/1") == .tcp(host: "2001:db8::7", port: 7000, database: 1))
    #expect(try parsed("redis://localhost") == .tcp(host: "localhost", port: 6379, database: 0), "port 6379, database 0 by default")
    #expect(try parsed("redis://[::1]") == .tcp(host: "::1", port: 6379, database: 0))
    #expect(try parsed("redis://mx-state-1.example:6379/") == .tcp(host: "mx-state-1.example", port: 6379, database: 0), "a trailing slash is database 0")
    #expect(try parsed("REDIS://h:1") == .tcp(host: "h", port: 1, database: 0), "the scheme in any case")
}

@Test func aUnixSocket() throws {
    let address = try parsed("unix:/run/redis/redis-server.sock")
    #expect(address == .unix(path: "/run/redis/redis-server.sock"))
    #expect(address.database == 0)
}

@Test func theAddressIsShownAsItCanBeWrittenBack() throws {
    for value in ["redis://10.0.0.7:6379/3", "redis://[::1]:6379", "unix:/run/redis.sock", "redis://h.example:1"] {
        #expect(try parsed(value).description == value)
        #expect(try parsed(try parsed(value).description) == parsed(value))
    }
    #expect(try parsed("redis://h").description == "redis://h:6379")
}

@Test func everyMistakeSaysWhatIsWrongAndWhatIsExpected() {
    let expected = "expected redis://HOST:PORT[/DB] or unix:/PATH"
    let mistakes: [(String, String)] = [
        ("", "empty"),
        ("localhost:6379", "unknown scheme"),
        ("http://h:6379", "unknown scheme"),
        ("rediss://h:6379", "TLS"),
        ("redis://", "host is missing"),
        ("redis://:6379", "host is missing"),
        ("redis://h:", "port \"\""),
        ("redis://h:0", "port \"0\" is not a number from 1 to 65535"),
        ("redis://h:65536", "port \"65536\""),
        ("redis://h:63x9", "port \"63x9\""),
        ("redis://h:6379/x", "database \"x\""),
        ("redis://h:6379/-1", "database \"-1\""),
        ("redis://h:6379/99999999999", "database \"99999999999\""),
        ("redis://::1:6379", "IPv6 address in brackets"),
        ("redis://[::1:6379", "closing \"]\""),
        ("redis://[::g]:6379", "\"::g\" is not an IPv6 address"),
        ("redis://[::1]6379", "after the IPv6 address"),
        ("redis://300.1.1.1:6379", "\"300.1.1.1\" is not an IPv4 address"),
        ("redis://my host:6379", "is not a host name"),
        ("redis://-bad.example:6379", "is not a host name"),
        ("redis://h:6379?db=2", "options"),
        ("unix:run/redis.sock", "must be absolute"),
        ("unix:/" + String(repeating: "d", count: 120), "longer than 107 bytes"),
    ]
    for (value, reason) in mistakes {
        let said = problem(value)
        #expect(said?.hasPrefix("shared_state: ") == true, "\(value)")
        #expect(said?.contains(reason) == true, "\(value): \(said ?? "accepted")")
        #expect(said?.hasSuffix(expected) == true, "\(value)")
    }
}

@Test func aPasswordInTheAddressIsRefusedWithoutBeingRepeated() {
    let said = problem("redis://breakwater:s3cret@10.0.0.7:6379")
    #expect(said?.contains("shared_state_password_file") == true, "\(said ?? "accepted")")
    #expect(said?.contains("s3cret") == false, "the secret must not reach a log: \(said ?? "")")
    #expect(said?.contains("@10.0.0.7:6379") == true, "the server part is still shown")
}

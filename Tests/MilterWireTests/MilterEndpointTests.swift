import Testing
@testable import MilterWire

@Test func everySocketSpellingInUse() throws {
    #expect(try MilterEndpoint(parsing: "unix:/run/bw.sock") == .unix(path: "/run/bw.sock"))
    #expect(try MilterEndpoint(parsing: "local:/run/bw.sock") == .unix(path: "/run/bw.sock"))
    #expect(try MilterEndpoint(parsing: "/run/bw.sock") == .unix(path: "/run/bw.sock"))
    #expect(try MilterEndpoint(parsing: "inet:127.0.0.1:8894") == .inet(host: "127.0.0.1", port: 8894))
    #expect(try MilterEndpoint(parsing: "inet:8894@127.0.0.1") == .inet(host: "127.0.0.1", port: 8894))
    #expect(try MilterEndpoint(parsing: "inet:[::1]:8891") == .inet(host: "::1", port: 8891))
    #expect(try MilterEndpoint(parsing: "inet6:8891@::1") == .inet(host: "::1", port: 8891))
}

@Test func badSocketSpellingsSayWhy() {
    for spec in ["inet:127.0.0.1", "inet:host:0", "inet:host:99999", "tcpx:1@h", "unix:", "nonsense"] {
        #expect(throws: ClientError.self, "\(spec)") { try MilterEndpoint(parsing: spec) }
    }
}

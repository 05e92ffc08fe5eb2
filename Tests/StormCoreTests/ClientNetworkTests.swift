import StormCore
import Testing

@Suite("Client networks for exemptions, as an admin writes them and the MTA reports clients")
struct ClientNetworkTests {
    private func net(_ cidr: String) throws -> ClientNetwork {
        try #require(ClientNetwork(cidr: cidr), "\(cidr) should parse")
    }

    @Test("An IPv4 /24 holds its hosts and nothing next door")
    func ipv4Network() throws {
        let office = try net("192.0.2.0/24")
        #expect(office.contains("192.0.2.1"))
        #expect(office.contains("192.0.2.255"))
        #expect(!office.contains("192.0.3.1"))
        #expect(!office.contains("192.0.1.255"))
    }

    @Test("An IPv4 network matches the client however IPv6 dresses it")
    func ipv4ClientInIPv6Clothes() throws {
        let office = try net("192.0.2.0/24")
        #expect(office.contains("::ffff:192.0.2.7"))
        #expect(office.contains("IPv6:::ffff:192.0.2.7"))
        #expect(office.contains("::FFFF:c000:0207"))
        #expect(!office.contains("::ffff:192.0.3.7"))
        #expect(!office.contains("2001:db8::c000:207"))
    }

    @Test("An IPv6 /32 holds its hosts in every spelling Postfix uses")
    func ipv6Network() throws {
        let campus = try net("2001:db8::/32")
        #expect(campus.contains("2001:db8::1"))
        #expect(campus.contains("IPv6:2001:DB8:1::5"))
        #expect(campus.contains("ipv6:2001:0db8:ffff:ffff:ffff:ffff:ffff:ffff"))
        #expect(campus.contains("[2001:db8::1]"))
        #expect(!campus.contains("2001:db9::1"))
        #expect(!campus.contains("192.0.2.1"))
        #expect(try net("fe80::/10").contains("fe80::1%eth0"))
    }

    @Test("A bare address is a host route")
    func hostRoutes() throws {
        let relay = try net("10.1.2.3")
        #expect(relay.contains("10.1.2.3"))
        #expect(!relay.contains("10.1.2.4"))
        let loopback = try net("::1")
        #expect(loopback.contains("0:0:0:0:0:0:0:1"))
        #expect(!loopback.contains("::2"))
        #expect(try net("::ffff:192.0.2.1") == net("192.0.2.1"))
        #expect(try net("::ffff:192.0.2.1").contains("192.0.2.1"))
    }

    @Test("The whole-world prefixes: 0.0.0.0/0 is IPv4 only, ::/0 is everything")
    func zeroPrefixes() throws {
        let allV4 = try net("0.0.0.0/0")
        #expect(allV4.contains("203.0.113.9"))
        #expect(!allV4.contains("2001:db8::1"))
        let all = try net("::/0")
        #expect(all.contains("2001:db8::1"))
        #expect(all.contains("203.0.113.9"))
    }

    @Test("Every IPv6 text form parses", arguments: [
        "::", "::1", "1::", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:1.2.3.4", "::1.2.3.4", "::ffff:1.2.3.4", "fe80::1:2", "ABCD:ef01::",
    ])
    func ipv6Forms(text: String) {
        #expect(ClientNetwork(cidr: text) != nil)
        #expect(ClientNetwork(cidr: text)?.contains(text) == true)
    }

    @Test("Junk and prefixes too long for the family are refused", arguments: [
        "", " ", "/24", "192.0.2.0/33", "2001:db8::/129", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4",
        "1.2.3.4/", "1.2.3.4/-1", "1.2.3.4/1000", "1.2.3.4/ 8", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1::",
        "1:", "1::2:", "12345::", "::ffff:1.2.3", "g::1", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3.4:5",
        "1.2.3.4::", "localhost", ":::", "1:2:3:4:5:6:7:8::",
    ])
    func junk(text: String) {
        #expect(ClientNetwork(cidr: text) == nil)
    }

    @Test("A client address that is not an address is never inside")
    func junkClients() throws {
        let all = try net("::/0")
        for client in ["", "unknown", "localhost", "192.0.2.1/24", "[2001:db8::1", "IPv6:", "1.2.3.4.5"] {
            #expect(!all.contains(client), "\(client)")
        }
    }

    @Test("Host bits under the prefix are cleared; spellings of one network are equal")
    func canonicalForm() throws {
        #expect(try net("192.0.2.9/24") == net("192.0.2.0/24"))
        #expect(try net("2001:DB8:0:0:0:0:0:0/32") == net("2001:db8::/32"))
        #expect(Set([try net("10.0.0.0/8"), try net("10.9.9.9/8")]).count == 1)
        #expect(try net("10.0.0.0/8") != net("10.0.0.0/9"))
    }

    @Test("Descriptions are canonical (RFC 5952) and parse back to the same network", arguments: [
        ("192.0.2.9/24", "192.0.2.0/24"),
        ("2001:DB8:0:0:0:0:0:0/32", "2001:db8::/32"),
        ("::ffff:192.0.2.1", "192.0.2.1/32"),
        ("2001:db8:0:1:0:0:1:0", "2001:db8:0:1::1:0/128"),
        ("1:0:0:2:0:0:0:3", "1:0:0:2::3/128"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1/128"),
        ("::", "::/128"),
        ("0.0.0.0/0", "0.0.0.0/0"),
    ])
    func descriptions(input: String, expected: String) throws {
        let network = try net(input)
        #expect(network.description == expected)
        #expect(ClientNetwork(cidr: network.description) == network)
    }
}

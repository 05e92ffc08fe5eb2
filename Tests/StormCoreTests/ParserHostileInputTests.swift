import StormCore
import Testing

/// Feeds every parser what an attacker or a broken mailer would: cut, huge, 8-bit, nested,
/// unbalanced. Each must return a value or an error. Bounded time rests on the parsers being
/// single-pass (or a fixed number of passes), which these sizes would expose if it were not so.
@Suite("Every parser survives hostile input")
struct ParserHostileInputTests {
    static let megabyte = 1 << 20
    static let hostilePieces = ["<", ">", "(", ")", "\\", "\"", " ", "\r\n ", "\n", "\t", ",", ";", ":", "@",
                                "[", "]", ".", "\0", "\u{7F}", "\u{FFFD}", "é", "a", "host.example", "<a@b>",
                                "x@y", "Re:", "[tag]", "::", "1", "255", "ffff", "/", "%", "IPv6:"]

    @Test("A megabyte of one structural character", arguments: ["<", "(", ")", "\"", "\\", "@", ">", ",", ":", "["])
    func megabyteOfOneCharacter(character: String) {
        let value = String(repeating: character, count: Self.megabyte)
        #expect(MessageIDParser.ids(in: value).isEmpty)
        #expect(MessageIDParser.keys(in: value).isEmpty)
        #expect(MessageIDParser.first(in: value) == nil)
        #expect(AddressParser.headerAddresses(value).isEmpty)
        #expect(AddressParser.mailbox(value) == nil)
        #expect((try? AddressParser.envelope(value).get()) == nil)
        #expect(ClientNetwork(cidr: value) == nil)
        #expect(SubjectLine.base(value).utf8.count <= 200)
    }

    @Test("A 10,000-id References keeps the root and the 63 nearest parents")
    func hugeReferences() {
        let ids = (0..<10_000).map { "<CAF\($0)=x\($0)@mail.gmail.com>" }
        let value = ids.joined(separator: "\r\n ")
        let kept = MessageIDParser.ids(in: value)
        #expect(kept.count == 64)
        #expect(kept.first == "CAF0=x0@mail.gmail.com")
        #expect(kept[1] == "CAF9937=x9937@mail.gmail.com")
        #expect(kept.last == "CAF9999=x9999@mail.gmail.com")
        #expect(MessageIDParser.keys(in: value) == kept.map(MessageKey.init))
        #expect(MessageIDParser.ids(in: value, limit: .max).count == 10_000)
    }

    @Test("A 100,000-address To header: the first 1,000 by default, all of them when asked")
    func hugeToHeader() {
        let value = (0..<100_000).map { "User \($0) <u\($0)@big.example>" }.joined(separator: ",\r\n ")
        let first = AddressParser.headerAddresses(value)
        #expect(first.count == 1000)
        #expect(first.last?.key == "u999@big.example")
        let all = AddressParser.headerAddresses(value, limit: .max)
        #expect(all.count == 100_000)
        #expect(all.last?.key == "u99999@big.example")
    }

    @Test("Comments nested 100,000 deep, closed or not, then an id and an address")
    func deeplyNestedComments() {
        let depth = 100_000
        let closed = String(repeating: "(", count: depth) + String(repeating: ")", count: depth)
        #expect(MessageIDParser.ids(in: closed + " <id@host>") == ["id@host"])
        #expect(AddressParser.headerAddresses(closed + " a@b.example").map(\.key) == ["a@b.example"])
        let open = String(repeating: "(", count: depth)
        #expect(MessageIDParser.ids(in: open + " <id@host>") == ["id@host"])
        #expect(AddressParser.headerAddresses(open + " a@b.example").map(\.key) == ["a@b.example"])
    }

    @Test("A header cut at any byte never yields an id or address the whole header lacks")
    func truncationNeverInventsIDs() {
        let references = #"<CAF=abc@mail.gmail.com> (John's message of "Mon, 14 Nov") <b2@x.example>"#
            + "\r\n <AM0PR01MB@prod.outlook.com>"
        let whole = Set(MessageIDParser.ids(in: references, limit: .max))
        let to = #""Doe, John" <john@x.example>, Bee (the (builder)) <bee@y.example>, team: <c@z.example>;"#
        let wholeTo = Set(AddressParser.headerAddresses(to))
        for cut in 0...references.utf8.count {
            let value = String(decoding: references.utf8.prefix(cut), as: UTF8.self)
            #expect(Set(MessageIDParser.ids(in: value, limit: .max)).isSubset(of: whole), "\(value)")
        }
        for cut in 0...to.utf8.count {
            let value = String(decoding: to.utf8.prefix(cut), as: UTF8.self)
            #expect(Set(AddressParser.headerAddresses(value)).isSubset(of: wholeTo), "\(value)")
        }
    }

    @Test("NULs and unbalanced quotes in every parser")
    func nulsAndQuotes() {
        let values = ["<a\0b@c>", "\"<a@b>", "a\"@b", "\0\0\0", "\"\"\"", "<\"a@b>", "(\"", "\"(", "\\"]
        for value in values {
            #expect(MessageIDParser.keys(in: value) == MessageIDParser.ids(in: value).map(MessageKey.init))
            if case .success(let e) = AddressParser.envelope(value), let address = e.address {
                #expect(!address.key.unicodeScalars.contains { $0.value < 0x20 }, "\(value)")
            }
            for address in AddressParser.headerAddresses(value) {
                #expect(!address.key.unicodeScalars.contains { $0.value < 0x20 }, "\(value)")
            }
            #expect(ClientNetwork(cidr: value) == nil)
            #expect(!SubjectLine.base(value).unicodeScalars.contains { $0.value < 0x20 })
        }
    }

    @Test("Thousands of random byte strings and random structural mixes")
    func randomInputs() {
        var random = SplitMix64(seed: 0xB4EA_4A7E)
        for round in 0..<4000 {
            let value = round.isMultiple(of: 2)
                ? random.junkString(maxBytes: 300)
                : random.piecesString(Self.hostilePieces, maxPieces: 40)
            checkInvariants(value)
        }
    }

    /// What must hold for any input at all, whatever the parsers make of it.
    private func checkInvariants(_ value: String) {
        let ids = MessageIDParser.ids(in: value, limit: 8)
        #expect(ids.count <= 8)
        #expect(MessageIDParser.keys(in: value, limit: 8) == ids.map(MessageKey.init))
        #expect(ids.allSatisfy { !$0.isEmpty && $0.utf8.count <= 998 && !$0.contains(" ") })
        #expect(MessageIDParser.first(in: value) == ids.first)

        switch AddressParser.envelope(value) {
        case .success(let envelope):
            if let address = envelope.address {
                #expect(!address.local.isEmpty)
                #expect(address.key.utf8.count <= AddressParser.maxAddressBytes + 1)
            }
        case .failure(let error):
            #expect(!error.description.isEmpty)
        }
        for address in AddressParser.headerAddresses(value, limit: 16) {
            #expect(!address.local.isEmpty)
            #expect(!address.key.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
        }
        if let network = ClientNetwork(cidr: value) {
            #expect(ClientNetwork(cidr: network.description) == network)
        }
        _ = ClientNetwork(cidr: "::/0")?.contains(value)

        for maxBytes in [0, 7, 200] {
            let base = SubjectLine.base(value, maxBytes: maxBytes)
            #expect(base.utf8.count <= maxBytes)
            #expect(!base.hasPrefix(" ") && !base.hasSuffix(" ") && !base.contains("  "))
            #expect(!base.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
        }
        _ = SubjectLine.looksLikeReply(value)
        _ = SubjectLine.looksLikeRecall(value)
    }

    @Test("Random IP-like text: whatever parses round-trips through its description")
    func randomNetworks() {
        var random = SplitMix64(seed: 0x1F_2001_0DB8)
        let pieces = ["0", "1", "9", "25", "255", "256", "a", "F", "ffff", ":", "::", ".", "/", "/24", "/64", "/128", "%e"]
        var parsed = 0
        for _ in 0..<5000 {
            let text = random.piecesString(pieces, maxPieces: 12)
            guard let network = ClientNetwork(cidr: text) else { continue }
            parsed += 1
            #expect(ClientNetwork(cidr: network.description) == network, "\(text)")
            let host = String(network.description.prefix { $0 != "/" })
            #expect(network.contains(host), "\(text)")
        }
        #expect(parsed > 50) // the generator really reaches the accepting paths
    }

    @Test("A long subject of prefixes and blanks is still cut to its budget")
    func longSubjects() {
        let prefixes = String(repeating: "Re: AW: [tag] ", count: 20_000) + "Budget"
        #expect(SubjectLine.base(prefixes) == "Budget")
        #expect(SubjectLine.looksLikeReply(prefixes))
        let blanks = "Re:" + String(repeating: " \r\n\t", count: 100_000) + "x" + String(repeating: " ", count: 100_000)
        #expect(SubjectLine.base(blanks) == "x")
        let combining = "a" + String(repeating: "\u{301}", count: 10_000)
        #expect(SubjectLine.base(combining) == "")
    }
}

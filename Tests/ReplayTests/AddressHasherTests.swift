import Foundation
import Testing
@testable import Replay

/// Keyed hashing of addresses for recordings that leave the building.
@Suite("Address hashing")
struct AddressHasherTests {
    func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test func hmacMatchesThePublishedTestVectors() {
        // RFC 4231 test cases 1 and 2; and SHA-256 of "abc" from FIPS 180-4.
        #expect(hex(SHA256.hmac(key: Array(repeating: 0x0b, count: 20), Array("Hi There".utf8)))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(hex(SHA256.hmac(key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(hex(SHA256.digest(Array("abc".utf8)))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // A key longer than a block is hashed first (RFC 4231 case 6).
        #expect(hex(SHA256.hmac(key: Array(repeating: 0xaa, count: 131),
                                Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    /// The address is cut at its last "@" and its brackets by scalar: "@" or "<" followed by a
    /// combining mark (U+0301) is one Swift Character, and a Character-wise search would take an
    /// earlier "@", leaving part of the local part in clear as if it were the domain.
    @Test func theLastAtIsFoundByScalarSoNoLocalPartLeaksAsDomain() {
        func scalars(_ s: String) -> [UInt32] { s.unicodeScalars.map(\.value) }
        let h = AddressHasher(key: "secret")
        let hashed = h.hashAddress("<alice@hidden@\u{301}y.example>")
        #expect(scalars(hashed) == scalars("<" + h.hashLocalPart("alice@hidden") + "@" + h.hashDomain("\u{301}y.example") + ">"))
        #expect(!hashed.contains("hidden"), "\(hashed)")
        #expect(scalars(h.hashAddress("<\u{301}bob@b.example>"))
            == scalars("<" + h.hashLocalPart("\u{301}bob") + "@b.example>"))
    }

    @Test func theSameKeyGivesTheSameNameAndAnotherKeyAnother() {
        let a = AddressHasher(key: "secret")
        let b = AddressHasher(key: "other")
        #expect(a.hashAddress("<Alice@Example.ORG>") == a.hashAddress("<alice@example.org>"))
        #expect(a.hashAddress("<alice@example.org>") != b.hashAddress("<alice@example.org>"))
        #expect(a.hashAddress("<alice@example.org>") != a.hashAddress("<bob@example.org>"))
        let hashed = a.hashAddress("<alice@example.org>")
        #expect(hashed.hasPrefix("<u-") && hashed.hasSuffix("@example.org>"))
        #expect(!hashed.contains("alice"))
        #expect(a.hashAddress("<>") == "<>")
        #expect(a.hashAddress("alice@example.org") == String(hashed.dropFirst().dropLast()))
    }

    @Test func domainsCanBeHashedToo() {
        let h = AddressHasher(key: "k", domains: .hash)
        let out = h.hashAddress("<alice@example.org>")
        #expect(!out.contains("example"))
        #expect(out.hasSuffix(".invalid>"))
        #expect(out == h.hashAddress("<ALICE@EXAMPLE.ORG>"))
    }

    @Test func headerTextKeepsEverythingButTheAddresses() {
        let h = AddressHasher(key: "k")
        let text = "\"Alice A.\" <alice@example.org>, bob@example.org (Bob)"
        let out = h.hashAddresses(inText: text)
        #expect(out == "\"Alice A.\" <\(h.hashLocalPart("alice"))@example.org>, \(h.hashLocalPart("bob"))@example.org (Bob)")
    }

    @Test func aRecordedSessionKeepsItsThreadsButLosesItsNames() throws {
        let file = try SessionParser.parse("""
        macro mail {auth_authen} alice
        mail <alice@example.org>
        rcpt <all@example.org>
        header From: Alice <alice@example.org>
        header Message-ID: <id1@example.org>
        eom
        """, name: "t")
        let h = AddressHasher(key: "k")
        let m = h.hashing(file.sessions[0]).messages[0]
        #expect(m.sender.address == h.hashAddress("<alice@example.org>"))
        #expect(m.recipients[0].address == h.hashAddress("<all@example.org>"))
        #expect(m.headers[0].value == "Alice <\(h.hashLocalPart("alice"))@example.org>")
        #expect(m.headers[1].value == "<id1@example.org>")  // ids tie threads; they are not addresses
        #expect(m.macro("{auth_authen}") == h.hashLocalPart("alice"))
    }
}

import StormCore
import Testing

/// The address parser's scenarios, grouped under one name so one filter selects them all.
@Suite("AddressParser")
struct AddressParserTests {}

private extension Result where Failure == AddressParseError {
    var failureDescription: String {
        if case .failure(let e) = self { return e.description }
        return ""
    }
}

extension AddressParserTests {
    @Suite("Envelope addresses as Postfix hands them to the milter")
    struct Envelope {
        private func address(_ raw: String) -> EmailAddress? {
            try? AddressParser.envelope(raw).get().address
        }

        private func error(_ raw: String) -> AddressParseError? {
            if case .failure(let e) = AddressParser.envelope(raw) { return e }
            return nil
        }

        @Test("An smtpd MAIL FROM with ESMTP parameters: address folded, parameters kept as given")
        func smtpdSenderWithParameters() throws {
            let parsed = try AddressParser.envelope("<Alice@Example.ORG> SIZE=10 BODY=8BITMIME").get()
            #expect(parsed.address == EmailAddress(local: "alice", domain: "example.org"))
            #expect(parsed.parameters == ["SIZE=10", "BODY=8BITMIME"])
        }

        @Test("An RCPT TO with NOTIFY and an ORCPT that itself holds an address")
        func recipientWithOrcpt() throws {
            let parsed = try AddressParser.envelope("<all@staff.example> NOTIFY=NEVER ORCPT=rfc822;All@Staff.example").get()
            #expect(parsed.address?.key == "all@staff.example")
            #expect(parsed.parameters == ["NOTIFY=NEVER", "ORCPT=rfc822;All@Staff.example"])
        }

        @Test("non_smtpd_milters give the address without brackets")
        func nonSMTPDRecipient() throws {
            #expect(address("all@dom.example")?.key == "all@dom.example")
            #expect(try AddressParser.envelope("all@dom.example SIZE=5").get().parameters == ["SIZE=5"])
        }

        @Test("The null sender, with or without parameters, and the empty {mail_addr}")
        func nullSender() throws {
            #expect(try AddressParser.envelope("<>").get() == EnvelopeAddress(address: nil))
            #expect(try AddressParser.envelope("<> SIZE=0").get() == EnvelopeAddress(address: nil, parameters: ["SIZE=0"]))
            #expect(try AddressParser.envelope("").get().address == nil)
        }

        @Test("Quoted local parts keep their content, escapes resolved, even a > inside")
        func quotedLocalParts() {
            #expect(address(#"<"john doe"@example.org>"#) == EmailAddress(local: "john doe", domain: "example.org"))
            #expect(address(#"<"a\"b"@x.example>"#)?.local == #"a"b"#)
            #expect(address(#"<"a>b"@x.example>"#)?.local == "a>b")
        }

        @Test("A source route is dropped; a bare local name has no domain")
        func sourceRouteAndLocalName() {
            #expect(address("<@relay1.example,@relay2.example:bob@b.example>")?.key == "bob@b.example")
            #expect(address("postmaster") == EmailAddress(local: "postmaster", domain: ""))
            #expect(address("<postmaster>")?.key == "postmaster")
            #expect(address("<user@[192.0.2.1]>")?.domain == "[192.0.2.1]")
        }

        @Test("Malformed addresses are errors, each naming its problem")
        func malformed() {
            #expect(error("<a@b.example") == .unbalancedBrackets(#""<a@b.example""#))
            #expect(error("a@b.example>") == .unbalancedBrackets(#""a@b.example>""#))
            #expect(error("<a<b@c>") == .unbalancedBrackets(#""<a<b@c>""#))
            #expect(error(#"<"abc@x.example>"#) == .unbalancedQuote(#""<"abc@x.example>""#))
            #expect(error("<a@>") == .emptyDomain(#""a@""#))
            #expect(error("<a@.>") == .emptyDomain(#""a@.""#))
            #expect(error("<@b.example>") == .emptyLocalPart(#""@b.example""#))
            #expect(error("<@relay:>") == .badSourceRoute(#""@relay:""#))
            #expect(error("<a b@c>") == .invalidCharacter(#"" ""#, in: #""a b@c""#))
            #expect(error("<a@b@c>") == .invalidCharacter(#""@""#, in: #""a@b@c""#))
            #expect(error("<a@b c.example>") != nil)
        }

        @Test("Control characters are refused, and shown escaped in the message")
        func controlCharacters() throws {
            let e = try #require(error("<a\u{0}b@c.example>"))
            #expect(e == .controlCharacter(#""<a\u{0}b@c.example>""#))
            #expect(error("<a@b.example>\r\nRCPT TO:<x@y>") != nil)
        }

        @Test("Addresses over 1,000 bytes are refused")
        func tooLong() {
            let local = String(repeating: "a", count: 995)
            #expect(address("<\(local)@b.ex>") != nil)
            #expect(error("<\(local)x@b.ex>") == .tooLong(bytes: 1001))
        }

        @Test("Error messages say what is wrong with which address")
        func readableErrors() {
            let text = AddressParseError.emptyDomain(#""bob@""#).description
            #expect(text.contains(#""bob@""#) && text.contains("nothing after the @"))
            // An attacker's megabyte must not land in the log line.
            let huge = AddressParser.envelope("<" + String(repeating: "x", count: 5000))
            #expect(huge.failureDescription.hasPrefix("address \"<xxx"))
            #expect(huge.failureDescription.count < 200)
        }
    }

    @Suite("Mailboxes, and extensions split the way Postfix splits them")
    struct Mailbox {
        @Test("Bare mailboxes from tables and configuration")
        func mailboxes() {
            #expect(AddressParser.mailbox("Alice@Example.COM.") == EmailAddress(local: "alice", domain: "example.com"))
            #expect(AddressParser.mailbox(#""quoted local"@b.example"#)?.local == "quoted local")
            #expect(AddressParser.mailbox("  root  ") == EmailAddress(local: "root", domain: ""))
            #expect(AddressParser.mailbox("a@") == nil)
            #expect(AddressParser.mailbox("@b") == nil)
            #expect(AddressParser.mailbox("<a@b>") == nil)
            #expect(AddressParser.mailbox("") == nil)
        }

        @Test("recipient_delimiter: alice+x@d is alice@d; +x@d is not split")
        func plusExtension() throws {
            let alice = try #require(AddressParser.mailbox("alice+lists@d.example"))
            #expect(alice.withoutExtension(delimiters: "+") == EmailAddress(local: "alice", domain: "d.example"))
            #expect(try #require(AddressParser.mailbox("+x@d.example")).withoutExtension(delimiters: "+") == nil)
            #expect(try #require(AddressParser.mailbox("alice@d.example")).withoutExtension(delimiters: "+") == nil)
            #expect(alice.withoutExtension(delimiters: "") == nil)
        }

        @Test("With delimiters \"+-\" the first delimiter in the local part splits it")
        func severalDelimiters() throws {
            let bob = try #require(AddressParser.mailbox("bob-lists+x@d.example"))
            #expect(bob.withoutExtension(delimiters: "+-")?.key == "bob@d.example")
            let carol = try #require(AddressParser.mailbox("carol+a-b@d.example"))
            #expect(carol.withoutExtension(delimiters: "+-")?.key == "carol@d.example")
            #expect(try #require(AddressParser.mailbox("postmaster+x")).withoutExtension(delimiters: "+")?.key == "postmaster")
        }
    }

    @Suite("From, To and Cc header values")
    struct HeaderValues {
        private func keys(_ value: String, limit: Int = 1000) -> [String] {
            AddressParser.headerAddresses(value, limit: limit).map(\.key)
        }

        @Test("Outlook-style display names with commas in quotes")
        func quotedDisplayNames() {
            #expect(keys(#""Doe, John" <John.Doe@Example.com>, Jane Roe <jane@example.com>"#)
                == ["john.doe@example.com", "jane@example.com"])
            #expect(keys("'Alice Smith' <alice@x.example>") == ["alice@x.example"])
            #expect(keys("=?UTF-8?Q?J=C3=B6rg?= <joerg@x.example>") == ["joerg@x.example"])
        }

        @Test("Comments, nested ones too, and folding between addresses")
        func commentsAndFolding() {
            #expect(keys("alice@x.example (Alice), bob@y.example (Bob (the builder))") == ["alice@x.example", "bob@y.example"])
            #expect(keys("Alice <a@x.example>,\r\n Bob\r\n\t<b@y.example>") == ["a@x.example", "b@y.example"])
        }

        @Test("Groups: an empty undisclosed-recipients, and a named team")
        func groups() {
            #expect(keys("undisclosed-recipients:;") == [])
            #expect(keys("team: a@x.example, Bee <b@y.example>;, c@z.example") == ["a@x.example", "b@y.example", "c@z.example"])
        }

        @Test("An unquoted display name with a comma gives only the real address")
        func unquotedCommaInName() {
            #expect(keys("Smith, John <js@x.example>") == ["js@x.example"])
            #expect(keys("John john@x.example") == ["john@x.example"])
        }

        @Test("Quoted local parts, routes, literals and <local> in a header")
        func unusualForms() {
            #expect(keys(#""john doe"@example.org"#) == ["john doe@example.org"])
            #expect(keys("<@relay.example:a@b.example>") == ["a@b.example"])
            #expect(keys("user@[192.0.2.1]") == ["user@[192.0.2.1]"])
            #expect(keys("<postmaster>") == ["postmaster"])
            #expect(keys("john . doe @ example . com") == ["john.doe@example.com"])
        }

        @Test("Junk yields fewer addresses")
        func junk() {
            #expect(keys("John Smith") == [])
            #expect(keys("<a@b.example") == [])
            #expect(keys("a@b.example, Cut <c@d.ex") == ["a@b.example"])
            #expect(keys("a@, @b, a@b@c, x\u{1}y@z.example, <>") == [])
        }

        @Test("At most limit addresses, the first ones")
        func limit() {
            let value = (0..<5).map { "u\($0)@x.example" }.joined(separator: ", ")
            #expect(keys(value, limit: 3) == ["u0@x.example", "u1@x.example", "u2@x.example"])
            #expect(keys(value, limit: 0) == [])
        }
    }
}

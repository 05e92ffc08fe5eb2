import StormCore
import Testing

@Suite("Message-ID, In-Reply-To and References as real mail writes them")
struct MessageIDParserTests {
    @Test("A Gmail In-Reply-To with its 'message of' comment yields only the id")
    func gmailInReplyToWithComment() {
        let value = #"<CAF=abc@mail.gmail.com> (John's message of "Mon, 14 Nov 2016 10:00:00 +0100")"#
        #expect(MessageIDParser.ids(in: value) == ["CAF=abc@mail.gmail.com"])
    }

    @Test("A Thunderbird References folded with CRLF and tabs keeps every id in order")
    func foldedReferences() {
        let value = "<root.1@thunderbird.example>\r\n <b2@host.example>\r\n\t<c3@host.example>"
        #expect(MessageIDParser.ids(in: value) == ["root.1@thunderbird.example", "b2@host.example", "c3@host.example"])
    }

    @Test("Outlook ids with bare-LF folding and no spaces between ids")
    func outlookReferences() {
        let value = "<AM0PR01MB1234.eurprd01.prod.exchangelabs.com@AM0PR01MB1234>\n <DB6PR02@x.outlook.com><VI1PR03@y.outlook.com>"
        #expect(MessageIDParser.ids(in: value) == [
            "AM0PR01MB1234.eurprd01.prod.exchangelabs.com@AM0PR01MB1234", "DB6PR02@x.outlook.com", "VI1PR03@y.outlook.com",
        ])
    }

    @Test("Ids inside comments, nested or with escaped parentheses, are not ids")
    func commentsAreSkipped() {
        #expect(MessageIDParser.ids(in: #"(outer (inner \) still <no@no>) done) <yes@host>"#) == ["yes@host"])
        #expect(MessageIDParser.ids(in: "(see <no@no>)<yes@host>(and <no2@no>)") == ["yes@host"])
    }

    @Test("An In-Reply-To that is a bare address-like token is an id")
    func bareIDs() {
        #expect(MessageIDParser.ids(in: "abc@host.example") == ["abc@host.example"])
        #expect(MessageIDParser.ids(in: " abc@host, def@host  <ghi@host>") == ["abc@host", "def@host", "ghi@host"])
    }

    @Test("Phrases, quoted strings and lone @ between ids are junk, not ids")
    func phrasesAreJunk() {
        let oldStyle = #"Your message of "Mon, 1 Jan 2024 <quoted@not.id>" meet @ 5 <id1@host>"#
        #expect(MessageIDParser.ids(in: oldStyle) == ["id1@host"])
        #expect(MessageIDParser.ids(in: "@host name@ <id2@host>") == ["id2@host"])
    }

    @Test("Whitespace and folding inside brackets is removed from the id")
    func whitespaceInsideBrackets() {
        #expect(MessageIDParser.ids(in: "<abc\r\n @host.example>") == ["abc@host.example"])
        #expect(MessageIDParser.keys(in: "< abc@host.example >") == [MessageKey("abc@host.example")])
    }

    @Test("A header cut inside an id gives no bogus id; empty brackets are ignored")
    func cutAndEmpty() {
        #expect(MessageIDParser.ids(in: "<a@b> <c@d") == ["a@b"])
        #expect(MessageIDParser.ids(in: "<") == [])
        #expect(MessageIDParser.ids(in: "<> < > <\r\n> <x@y>") == ["x@y"])
        #expect(MessageIDParser.first(in: "<partial@ho") == nil)
    }

    @Test("A stray < before an id starts the id over")
    func strayOpenBracket() {
        #expect(MessageIDParser.ids(in: "<junk <real@host>") == ["real@host"])
    }

    @Test("An unclosed comment or quote does not swallow the ids after it")
    func unclosedCommentAndQuote() {
        #expect(MessageIDParser.ids(in: "<a@b> (unclosed <c@d>") == ["a@b", "c@d"])
        #expect(MessageIDParser.ids(in: #"<a@b> "unclosed <c@d>"#) == ["a@b", "c@d"])
    }

    @Test("Over the limit, the thread root and the nearest parents are kept, in order")
    func limitKeepsFirstAndLast() {
        let value = (0..<10).map { "<id\($0)@host>" }.joined(separator: " ")
        #expect(MessageIDParser.ids(in: value, limit: 4) == ["id0@host", "id7@host", "id8@host", "id9@host"])
        #expect(MessageIDParser.ids(in: value, limit: 1) == ["id0@host"])
        #expect(MessageIDParser.ids(in: value, limit: 2) == ["id0@host", "id9@host"])
        #expect(MessageIDParser.ids(in: value, limit: 0) == [])
        #expect(MessageIDParser.ids(in: value, limit: 10).count == 10)
        #expect(MessageIDParser.ids(in: value, limit: 11).count == 10)
        #expect(MessageIDParser.keys(in: value, limit: 4) == ["id0@host", "id7@host", "id8@host", "id9@host"].map(MessageKey.init))
    }

    @Test("The limit matches keeping the first and the last limit-1 of the full list", arguments: [2, 3, 5, 7, 64])
    func limitMatchesReference(limit: Int) {
        for count in 0..<40 {
            let all = (0..<count).map { "m\($0)@x" }
            let value = all.map { "<\($0)>" }.joined(separator: "\r\n ")
            let expected = all.count <= limit ? all : [all[0]] + all.suffix(limit - 1)
            #expect(MessageIDParser.ids(in: value, limit: limit) == expected)
        }
    }

    @Test("Long values with many ids keep the same keys as ids at every limit", arguments: [1, 2, 5, 64, 500, Int.max])
    func longValuesAgree(limit: Int) {
        let value = (0..<400).map { "<part\($0).\(String(repeating: "x", count: $0 % 50))@host.example>" }
            .joined(separator: " (comment <no@no>)\r\n ")
        let ids = MessageIDParser.ids(in: value, limit: limit)
        #expect(ids.count == min(400, limit))
        #expect(MessageIDParser.keys(in: value, limit: limit) == ids.map(MessageKey.init))
    }

    @Test("An id of 998 bytes is kept and one of 999 bytes dropped")
    func idLengthCap() {
        let ok = String(repeating: "a", count: 993) + "@host"
        let long = String(repeating: "a", count: 994) + "@host"
        #expect(MessageIDParser.ids(in: "<\(ok)> <\(long)> <z@z>") == [ok, "z@z"])
        #expect(MessageIDParser.ids(in: "\(long) z@z") == ["z@z"])
    }

    @Test("A Message-ID's first id, with or without comments before it")
    func firstID() {
        #expect(MessageIDParser.first(in: "<20240101.abc@mx.example>") == "20240101.abc@mx.example")
        #expect(MessageIDParser.first(in: "(sent by X) <x@y> <z@w>") == "x@y")
        #expect(MessageIDParser.first(in: "  \r\n ") == nil)
        #expect(MessageIDParser.firstKey(in: "(c) <x@y>") == MessageKey("x@y"))
        #expect(MessageIDParser.firstKey(in: "") == nil)
    }

    @Test("keys and ids agree on realistic values")
    func keysAgreeWithIDs() {
        let values = [
            "<a@b>", "a@b, c@d", "<a b@c>", "(x) <é@ü.example> \u{FFFD}@\u{FFFD}", "<a@b> (c) <d\r\n\t@e>",
            #""q" <<x@y>> <\> \"<z@w>"#, "", "<>", "(((", #"\<a@b>"#,
        ]
        for value in values {
            #expect(MessageIDParser.keys(in: value) == MessageIDParser.ids(in: value).map(MessageKey.init))
            #expect(MessageIDParser.firstKey(in: value) == MessageIDParser.first(in: value).map(MessageKey.init))
        }
    }

    @Test("keys and ids agree on thousands of generated values, at several limits")
    func keysAgreeWithIDsOnGeneratedValues() {
        var random = SplitMix64(seed: 0x5EED_1D5)
        let pieces = ["<", ">", "(", ")", "\\", "\"", " ", "\r\n ", "\n", "\t", ",", "@", "a", "host.example",
                      "é", "\u{FFFD}", "<a@b>", "x@y", "<c @ d>", "\0", "<>"]
        for _ in 0..<3000 {
            let value = (0..<Int.random(in: 0...24, using: &random))
                .map { _ in pieces.randomElement(using: &random)! }.joined()
            for limit in [1, 3, 64] {
                let ids = MessageIDParser.ids(in: value, limit: limit)
                #expect(MessageIDParser.keys(in: value, limit: limit) == ids.map(MessageKey.init), "\(value.debugDescription)")
                #expect(ids.count <= limit)
            }
        }
    }
}

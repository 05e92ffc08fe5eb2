import StormCore
import Testing

/// Helpers for the audience suites, under one name so they cannot clash with other suites'.
enum AudienceKit {
    /// `alice@corp.example` or a bare `alice`, as the parser would hand it over.
    static func address(_ text: String) -> EmailAddress {
        guard let at = text.lastIndex(of: "@") else { return EmailAddress(local: text, domain: "") }
        return EmailAddress(local: String(text[..<at]), domain: String(text[text.index(after: at)...]))
    }

    /// A directory from tables written inline, failing the test on any table problem.
    static func directory(virtual: String? = nil, aliases: String? = nil, sizes: String? = nil,
                          options: AudienceOptions = .init(),
                          sourceLocation: SourceLocation = #_sourceLocation) -> AudienceDirectory {
        let (directory, problems) = load(virtual: virtual, aliases: aliases, sizes: sizes, options: options)
        #expect(problems == [], sourceLocation: sourceLocation)
        return directory
    }

    /// A directory and its problems; the tables are named "virtual", "aliases" and "sizes".
    static func load(virtual: String? = nil, aliases: String? = nil, sizes: String? = nil,
                     options: AudienceOptions = .init()) -> (AudienceDirectory, [TableProblem]) {
        var sources: [AudienceSource] = []
        if let virtual { sources.append(.virtualAliasesText(name: "virtual", text: virtual)) }
        if let aliases { sources.append(.aliasesText(name: "aliases", text: aliases)) }
        if let sizes { sources.append(.sizesText(name: "sizes", text: sizes)) }
        let loaded = AudienceDirectory.load(sources, options: options)
        return (loaded.directory, loaded.problems)
    }
}

extension AudienceDirectory {
    /// `size(of:)` for an address written as text.
    func sizeOf(_ address: String) -> Int { size(of: AudienceKit.address(address)) }
    /// `isList(_:)` for an address written as text.
    func isListNamed(_ address: String) -> Bool { isList(AudienceKit.address(address)) }
    /// The audience of a message sent to `recipients`, with what the traffic taught in `learned`.
    func audienceOf(_ recipients: [String], learned: [String: Int] = [:]) -> AudienceCount {
        audience(of: recipients.map(AudienceKit.address)) { learned[$0.key] }
    }
}

@Suite("Audience directory")
struct AudienceDirectoryTests {
    /// Two departments share cat; all-staff names both and bob again.
    let corp = """
        sales@corp.example      ann@corp.example, bob@corp.example, cat@corp.example
        eng@corp.example        cat@corp.example, dan@corp.example, eve@corp.example
        all-staff@corp.example  sales@corp.example, eng@corp.example, bob@corp.example
        """

    @Test func allStaffMadeOfOverlappingDepartmentsCountsEachPersonOnce() {
        let directory = AudienceKit.directory(virtual: corp)
        #expect(directory.sizeOf("all-staff@corp.example") == 5)
        #expect(directory.sizeOf("sales@corp.example") == 3)
        #expect(directory.isListNamed("all-staff@corp.example"))
        #expect(directory.listCount == 3)
        #expect(directory.mailboxCount == 5)
    }

    @Test func anAddressNoTableKnowsReachesOnlyItself() {
        let directory = AudienceKit.directory(virtual: corp)
        #expect(directory.sizeOf("ann@corp.example") == 1)
        #expect(!directory.isListNamed("ann@corp.example"))
        #expect(AudienceDirectory.empty.sizeOf("all-staff@corp.example") == 1)
        #expect(AudienceDirectory.empty.audienceOf(["a@x.example", "b@x.example", "A@X.example"])
                == AudienceCount(count: 2, isUpperBound: false))
    }

    @Test func listsNestedThreeDeepReachTheirPeopleOnce() {
        let directory = AudienceKit.directory(virtual: """
            company@corp.example   europe@corp.example, americas@corp.example, ceo@corp.example
            europe@corp.example    paris@corp.example, berlin@corp.example
            americas@corp.example  nyc@corp.example
            paris@corp.example     ann@corp.example, bob@corp.example
            berlin@corp.example    cat@corp.example, ceo@corp.example
            nyc@corp.example       dan@corp.example, ann@corp.example
            """)
        #expect(directory.sizeOf("company@corp.example") == 5)   // ann bob cat ceo dan
        #expect(directory.sizeOf("europe@corp.example") == 4)
        #expect(directory.sizeOf("americas@corp.example") == 2)
    }

    @Test func listsThatNameEachOtherAreCutNotLooped() {
        let directory = AudienceKit.directory(virtual: """
            red@corp.example    blue@corp.example, ann@corp.example
            blue@corp.example   green@corp.example, bob@corp.example
            green@corp.example  red@corp.example, cat@corp.example
            loop@corp.example   loop@corp.example
            """)
        // Every list in the ring reaches everyone on the ring.
        #expect(directory.sizeOf("red@corp.example") == 3)
        #expect(directory.sizeOf("blue@corp.example") == 3)
        #expect(directory.sizeOf("green@corp.example") == 3)
        #expect(directory.sizeOf("loop@corp.example") == 1)
        #expect(!directory.isListNamed("loop@corp.example"))
    }

    @Test func aRingWithNobodyOnItReachesNobody() {
        let directory = AudienceKit.directory(virtual: """
            ping@corp.example  pong@corp.example
            pong@corp.example  ping@corp.example
            """)
        #expect(directory.sizeOf("ping@corp.example") == 0)
        #expect(directory.audienceOf(["ping@corp.example", "ann@corp.example"]).count == 1)
    }

    @Test func aChainOfFiftyThousandNestedListsLoadsWithoutRunningOutOfStack() {
        let depth = 50_000
        var table = ""
        for i in 0..<depth { table += "level\(i)@corp.example  level\(i + 1)@corp.example\n" }
        table += "level\(depth)@corp.example  ann@corp.example, bob@corp.example\n"
        let directory = AudienceKit.directory(virtual: table)
        #expect(directory.sizeOf("level0@corp.example") == 2)
        #expect(directory.listCount == depth + 1)
    }

    @Test func aKeyListingItselfIsAlsoDeliveredTo() {
        let directory = AudienceKit.directory(virtual: """
            ann@corp.example   ann@corp.example, ann-archive@corp.example
            team@corp.example  ann@corp.example, bob@corp.example
            """)
        #expect(directory.sizeOf("ann@corp.example") == 2)
        #expect(directory.isListNamed("ann@corp.example"))
        #expect(directory.sizeOf("team@corp.example") == 3)
    }

    @Test func aRecipientWithAnExtensionIsFoundThroughItsBaseAddress() {
        let plus = AudienceKit.directory(virtual: corp, options: AudienceOptions(recipientDelimiter: "+"))
        #expect(plus.sizeOf("sales+promo@corp.example") == 3)
        #expect(plus.audienceOf(["sales+promo@corp.example", "ann+x@corp.example"]).count == 3)

        let none = AudienceKit.directory(virtual: corp)
        #expect(none.sizeOf("sales+promo@corp.example") == 1)
    }

    /// Postfix splits recipient_delimiter and the `@` of a key by byte; "+" or "@" followed by a
    /// combining mark (U+0301) is one Swift Character, which a Character-wise search misses.
    @Test func aDelimiterOrAtFollowedByACombiningMarkStillSplitsTheAddress() {
        let plus = AudienceKit.directory(virtual: corp, options: AudienceOptions(recipientDelimiter: "+"))
        #expect(plus.size(of: EmailAddress(local: "sales+\u{301}promo", domain: "corp.example")) == 3)
        let alice = EmailAddress(local: "alice+\u{301}x", domain: "d.example")
        #expect(alice.withoutExtension(delimiters: "+").map { Array($0.key.unicodeScalars) }
            == Array("alice@d.example".unicodeScalars))
        // virtual(5) "@otherdomain" as first result: the user is what comes before the key's last "@".
        let other = AudienceKit.directory(virtual: """
            ann@\u{301}corp.example   @other.example
            ann@other.example         x@other.example, y@other.example
            """)
        #expect(other.size(of: EmailAddress(local: "ann", domain: "\u{301}corp.example")) == 2)
        // A trailing dot after a Prepend scalar (U+0600, one Character with the dot) is still dropped.
        #expect(Array(EmailAddress(local: "a", domain: "x\u{600}.").domain.unicodeScalars) == Array("x\u{600}".unicodeScalars))
    }

    @Test func aMessageToOverlappingListsCountsTheirUnion() {
        let directory = AudienceKit.directory(virtual: corp)
        #expect(directory.audienceOf(["sales@corp.example", "eng@corp.example"])
                == AudienceCount(count: 5, isUpperBound: false))
        // ann is on sales already; zed is new, and named twice.
        #expect(directory.audienceOf(["sales@corp.example", "ann@corp.example", "zed@x.example", "ZED@x.example"])
                == AudienceCount(count: 4, isUpperBound: false))
        #expect(directory.audienceOf(["sales@corp.example", "sales@corp.example"]).count == 3)
        #expect(directory.audienceOf([]) == AudienceCount(count: 0, isUpperBound: false))
    }

    @Test func aSizeTheTrafficShowedAddsAsANumber() {
        let directory = AudienceKit.directory(virtual: corp)
        let count = directory.audienceOf(["sales@corp.example", "partners@other.example"],
                                         learned: ["partners@other.example": 40])
        #expect(count == AudienceCount(count: 43, isUpperBound: true))
        // What the traffic says about a known list does not override the table.
        #expect(directory.audienceOf(["sales@corp.example"], learned: ["sales@corp.example": 900])
                == AudienceCount(count: 3, isUpperBound: false))
        #expect(directory.audienceOf(["x@other.example"], learned: ["x@other.example": .max]).count == .max)
    }

    @Test func aUnionBeyondTheWorkCapIsAnUpperBound() {
        let capped = AudienceKit.directory(virtual: corp, options: AudienceOptions(maxUnionWork: 4))
        #expect(capped.audienceOf(["sales@corp.example", "eng@corp.example"])
                == AudienceCount(count: 6, isUpperBound: true))
        // One list needs no merging, so it stays exact under the same cap.
        #expect(capped.audienceOf(["all-staff@corp.example"]) == AudienceCount(count: 5, isUpperBound: false))
    }

    @Test func listsTooBigToKeepStillCountAsNumbers() {
        let directory = AudienceKit.directory(virtual: corp, options: AudienceOptions(maxStoredMembers: 0))
        #expect(directory.sizeOf("sales@corp.example") == 3)
        #expect(directory.audienceOf(["sales@corp.example", "eng@corp.example"])
                == AudienceCount(count: 6, isUpperBound: true))
    }

    @Test func oneLocalUserOnAnAliasAndAVirtualListCountsOnce() {
        let options = AudienceOptions(localDomains: ["Corp.Example"])
        let directory = AudienceKit.directory(
            virtual: "team@corp.example  ann@corp.example, cat@partner.example",
            aliases: "staff: ann, bob",
            options: options)
        #expect(directory.audienceOf(["team@corp.example", "staff@corp.example"]).count == 3)
        #expect(directory.sizeOf("staff@partner.example") == 1)
    }

    @Test func laterSourcesAddMembersToEarlierOnes() {
        let loaded = AudienceDirectory.load([
            .virtualAliasesText(name: "one", text: "sales@corp.example ann@corp.example"),
            .virtualAliasesText(name: "two", text: "sales@corp.example bob@corp.example, ann@corp.example"),
        ])
        #expect(loaded.problems == [])
        #expect(loaded.directory.sizeOf("sales@corp.example") == 2)
    }
}

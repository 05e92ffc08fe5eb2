import Foundation
import StormCore
import Testing

@Suite("Alias tables: virtual(5) and aliases(5)")
struct AliasTableTests {
    // MARK: virtual(5)

    @Test func continuationLinesAndCommentsMakeOneLogicalLine() {
        let directory = AudienceKit.directory(virtual: """
            # the sales team, one per line
            sales@corp.example  ann@corp.example,
                bob@corp.example,
              # cat joined in March
            \tcat@corp.example

            support@corp.example   dan@corp.example eve@corp.example
            """)
        #expect(directory.sizeOf("sales@corp.example") == 3)
        #expect(directory.sizeOf("support@corp.example") == 2)
        #expect(directory.listCount == 2)
    }

    @Test func aPostmapDumpReadsLikeTheSource() {
        let directory = AudienceKit.directory(virtual: "sales@corp.example\tann@corp.example,bob@corp.example\r\n")
        #expect(directory.sizeOf("sales@corp.example") == 2)
    }

    @Test func catchAllAndUserAtPatternsAreNotLists() {
        let directory = AudienceKit.directory(virtual: """
            @corp.example         postmaster@corp.example
            user@                 someone@corp.example
            sales@corp.example    ann@corp.example, bob@corp.example
            """)
        #expect(directory.sizeOf("nobody@corp.example") == 1)
        #expect(!directory.isListNamed("nobody@corp.example"))
        #expect(directory.listCount == 1)
    }

    @Test func keysAndResultsIgnoreCaseBracketsAndQuotes() {
        let directory = AudienceKit.directory(virtual: """
            Sales@Corp.Example.  Ann@CORP.example, <ann@corp.example>, "Bob Smith"@corp.example, Cat <cat@corp.example>
            """)
        #expect(directory.sizeOf("SALES@corp.example") == 3)
        #expect(directory.audienceOf(["sales@corp.example", "bob smith@corp.example"]).count == 3)
    }

    @Test func anAtDomainFirstResultMovesTheUserToThatDomain() {
        let directory = AudienceKit.directory(virtual: """
            ann@old.example   @new.example, ann-archive@new.example
            team@old.example  ann@old.example, ann@new.example
            """)
        #expect(directory.sizeOf("team@old.example") == 2)
    }

    @Test func linesItCannotReadAreProblemsAtTheirLineWhileTheRestLoads() {
        let (directory, problems) = AudienceKit.load(virtual: """
            sales@corp.example   ann@corp.example, bob@corp.example
            lonely@corp.example
            broken@corp.example  "ann@corp.example, bob@corp.example
            sales@corp.example   zed@corp.example
            eng@corp.example     cat@corp.example, dan@corp.example
            """)
        #expect(problems.map(\.line) == [2, 3, 4])
        #expect(problems.allSatisfy { $0.file == "virtual" })
        #expect(problems[2].description.hasPrefix("virtual:4: duplicate entry for sales@corp.example"))
        #expect(directory.sizeOf("sales@corp.example") == 2)   // the first entry wins
        #expect(directory.sizeOf("eng@corp.example") == 2)
    }

    // MARK: aliases(5)

    @Test func aliasNamesMatchEveryDomainWhenNoneAreListed() {
        let directory = AudienceKit.directory(aliases: """
            staff: ann, bob
            "front desk": cat,
              dan
            """)
        #expect(directory.sizeOf("staff") == 2)
        #expect(directory.sizeOf("Staff@anywhere.example") == 2)
        #expect(directory.sizeOf("front desk") == 2)
    }

    @Test func aliasNamesMatchOnlyLocalDomainsWhenListed() {
        let directory = AudienceKit.directory(aliases: "staff: ann, bob",
                                              options: AudienceOptions(localDomains: ["corp.example"]))
        #expect(directory.sizeOf("staff@corp.example") == 2)
        #expect(directory.sizeOf("staff@partner.example") == 1)
    }

    @Test func commandsAndFilesAreOneDeliveryEachDistinctByText() {
        let directory = AudienceKit.directory(aliases: """
            archive: |/usr/bin/archiver, /var/spool/archive, "|/usr/bin/archiver", ann
            both: archive, "|/usr/bin/other --flag"
            """)
        #expect(directory.sizeOf("archive") == 3)
        #expect(directory.sizeOf("both") == 4)
    }

    @Test func aBackslashedNameIsDeliveredWithoutLookingItUpAgain() {
        let directory = AudienceKit.directory(aliases: """
            ann: \\ann, ann@home.example
            team: ann, bob
            """, options: AudienceOptions(localDomains: ["corp.example"]))
        #expect(directory.sizeOf("ann") == 2)
        #expect(directory.sizeOf("team") == 3)
    }

    @Test func includeFilesAreReadNestedAndCycleSafe() throws {
        let folder = try AudienceKit.Folder()
        let more = folder.path + "/more.txt"
        let team = try folder.write("team.txt", """
            # the team
            ann, bob
            carol@corp.example
            :include:\(more)
            """)
        try folder.write("more.txt", "dan\n:include:\(team)\nann\n")
        let directory = AudienceKit.directory(aliases: """
            team: :include:\(team)
            others: :INCLUDE: \(more), erin
            """)
        #expect(directory.sizeOf("team") == 4)
        #expect(directory.sizeOf("others") == 5)
    }

    @Test func anUnreadableIncludeIsAProblemAtTheLineThatNamesIt() {
        let (directory, problems) = AudienceKit.load(aliases: """
            first: ann, bob
            second: :include:/nonexistent/breakwater/list, bob
            third: :include:relative/list, cat
            fourth: cat, dan
            """)
        #expect(problems.map(\.line) == [3, 2])
        #expect(problems.allSatisfy { $0.file == "aliases" })
        #expect(problems.last?.description.contains("/nonexistent/breakwater/list") == true)
        #expect(problems.last?.description.contains("No such file or directory") == true)
        #expect(directory.sizeOf("second") == 1)
        #expect(directory.sizeOf("third") == 1)
        #expect(directory.sizeOf("fourth") == 2)
    }

    @Test func anAliasLineWithoutAColonIsAProblemWhileTheRestLoads() {
        let (directory, problems) = AudienceKit.load(aliases: """
            staff: ann, bob

            this line has no colon
            empty:
            ops: cat
            """)
        #expect(problems.map(\.line) == [3, 4])
        #expect(problems.allSatisfy { $0.file == "aliases" })
        #expect(directory.sizeOf("staff") == 2)
        #expect(directory.sizeOf("ops") == 1)
    }

    @Test func garbageFilesLoadAsProblemsNeverAsCrashes() throws {
        let folder = try AudienceKit.Folder()
        // Deterministic noise, heavy in the bytes the formats care about.
        let alphabet: [UInt8] = Array(#"a@b"<>,:\|/# \#t\#n\#r"#.utf8) + [0x00, 0xC3, 0xFF, 0x41]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var noise: [UInt8] = []
        for _ in 0..<200_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            noise.append(alphabet[Int(state >> 33) % alphabet.count])
        }
        let path = folder.path + "/noise"
        try Data(noise).write(to: URL(fileURLWithPath: path))
        let loaded = AudienceDirectory.load([.virtualAliases(path: path), .aliases(path: path),
                                             .sizes(path: path), .aliases(path: folder.path)])
        #expect(!loaded.problems.isEmpty)
        #expect(loaded.problems.contains { $0.file == folder.path && $0.message.contains("Is a directory") })
        #expect(loaded.directory.sizeOf("nobody@nowhere.example") == 1)
    }

    @Test func aTableFileThatCannotBeReadIsOneProblemNamingIt() throws {
        let folder = try AudienceKit.Folder()
        let virtual = try folder.write("virtual", "sales@corp.example ann@corp.example, bob@corp.example\n")
        let missing = folder.path + "/no-such-aliases"
        let loaded = AudienceDirectory.load([.aliases(path: missing), .virtualAliases(path: virtual)])
        #expect(loaded.problems.count == 1)
        #expect(loaded.problems.first?.file == missing)
        #expect(loaded.problems.first?.line == 0)
        #expect(loaded.problems.first?.message.contains("No such file or directory") == true)
        #expect(loaded.directory.sizeOf("sales@corp.example") == 2)
    }
}

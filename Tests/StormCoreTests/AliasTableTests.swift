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

    /// StormCore reads no files: `:include:` paths go to the reader the caller gives.
    @Test func includesAreReadThroughTheCallersReader() {
        var asked: [String] = []
        let memory: [String: String] = ["/lists/team": "ann, bob\n:include:/lists/more\n", "/lists/more": "carol\n"]
        let loaded = AudienceDirectory.load([.aliasesText(name: "aliases", text: "team: :include:/lists/team, dan\n")]) { path in
            asked.append(path)
            guard let text = memory[path] else { return .failure(TableReadError("cannot open \(path): not here")) }
            return .success(Array(text.utf8))
        }
        #expect(loaded.problems == [])
        #expect(asked == ["/lists/team", "/lists/more"])
        #expect(loaded.directory.sizeOf("team") == 4)
    }

    /// Without a reader, a file is a problem at the line that names it, never a read.
    @Test func withoutAReaderAFileIsAProblemNotARead() {
        let loaded = AudienceDirectory.load([.aliasesText(name: "aliases", text: "team: :include:/etc/passwd, dan\n"),
                                             .sizes(path: "/etc/hostname")])
        #expect(loaded.problems.map(\.description) == [
            "/etc/hostname:0: cannot open /etc/hostname: no file reader given (StormCore reads no files)",
            "aliases:1: cannot open /etc/passwd: no file reader given (StormCore reads no files)",
        ])
        #expect(loaded.directory.sizeOf("team") == 1)
    }
}

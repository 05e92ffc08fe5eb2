import StormCore
import Testing

@Suite("Size table")
struct SizeTableTests {
    @Test func listsKeptElsewhereCountTheirSize() {
        let directory = AudienceKit.directory(sizes: """
            # exported from Mailman, nightly
            announce@lists.example   2400
            big@lists.example\t120000
            """)
        #expect(directory.sizeOf("announce@lists.example") == 2400)
        #expect(directory.sizeOf("Big@Lists.Example") == 120_000)
        #expect(directory.isListNamed("announce@lists.example"))
        #expect(directory.listCount == 2)
        #expect(directory.audienceOf(["announce@lists.example", "ann@corp.example"])
                == AudienceCount(count: 2401, isUpperBound: true))
    }

    @Test func badLinesAreProblemsAtTheirLineWhileTheRestLoads() {
        let (directory, problems) = AudienceKit.load(sizes: """
            ok@lists.example 10
            ten@lists.example ten
            zero@lists.example 0
            @lists.example 5
            extra@lists.example 1 2
            minus@lists.example -4
            huge@lists.example 99999999999999999999
            ok@lists.example 12
            later@lists.example 7
            """)
        #expect(problems.map(\.line) == [2, 3, 4, 5, 6, 7, 8])
        #expect(problems.allSatisfy { $0.file == "sizes" })
        #expect(problems.first?.description == #"sizes:2: size "ten" is not a whole number from 1 to 1000000000"#)
        #expect(directory.sizeOf("ok@lists.example") == 10)
        #expect(directory.sizeOf("later@lists.example") == 7)
        #expect(directory.sizeOf("ten@lists.example") == 1)
    }

    @Test func aSizeLargerThanTheTableShowsWinsAndASmallerOneDoesNot() {
        let team = "team@corp.example  ann@corp.example, bob@corp.example, cat@corp.example"
        let larger = AudienceKit.directory(virtual: team, sizes: "team@corp.example 50")
        #expect(larger.sizeOf("team@corp.example") == 50)
        #expect(larger.audienceOf(["team@corp.example"]) == AudienceCount(count: 50, isUpperBound: true))

        let smaller = AudienceKit.directory(virtual: team, sizes: "team@corp.example 2")
        #expect(smaller.sizeOf("team@corp.example") == 3)
        #expect(smaller.audienceOf(["team@corp.example"]) == AudienceCount(count: 3, isUpperBound: false))
    }

    @Test func aSizedListInsideTableListsCountsOnceAsANumber() {
        let directory = AudienceKit.directory(
            virtual: """
                news@corp.example   announce@lists.example, ann@corp.example
                press@corp.example  announce@lists.example, bob@corp.example
                """,
            sizes: "announce@lists.example 100")
        #expect(directory.sizeOf("news@corp.example") == 101)
        #expect(directory.audienceOf(["news@corp.example", "press@corp.example"])
                == AudienceCount(count: 102, isUpperBound: true))
    }

    @Test func twoSizeFilesForOneListKeepTheLargerSize() {
        let loaded = AudienceDirectory.load([
            .sizesText(name: "mailman", text: "announce@lists.example 2400\nsmall@lists.example 9"),
            .sizesText(name: "ldap", text: "announce@lists.example 900\nsmall@lists.example 12\nsmall@lists.example 3"),
        ])
        #expect(loaded.problems.map(\.description) == ["ldap:3: duplicate size for small@lists.example (first at line 2) ignored"])
        #expect(loaded.directory.sizeOf("announce@lists.example") == 2400)
        #expect(loaded.directory.sizeOf("small@lists.example") == 12)
    }
}

import BreakwaterConfig
import Foundation
import Glibc
import StormCore
import Testing

/// Tables and `:include:` files read from disk (`TableFile`, through `AudienceTables.load`):
/// what reaches StormCore, and every way a file can fail to be read.
struct TableFileTests {
    @Test func includeFilesAreReadNestedAndCycleSafe() throws {
        let folder = try Folder()
        let more = folder.path + "/more.txt"
        let team = try folder.write("team.txt", """
            # the team
            ann, bob
            carol@corp.example
            :include:\(more)
            """)
        try folder.write("more.txt", "dan\n:include:\(team)\nann\n")
        let directory = TableKit.directory(aliases: """
            team: :include:\(team)
            others: :INCLUDE: \(more), erin
            """)
        #expect(directory.sizeOf("team") == 4)
        #expect(directory.sizeOf("others") == 5)
    }


    @Test func anUnreadableIncludeIsAProblemAtTheLineThatNamesIt() {
        let (directory, problems) = TableKit.load(aliases: """
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


    @Test func garbageFilesLoadAsProblemsNeverAsCrashes() throws {
        let folder = try Folder()
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
        let loaded = AudienceTables.load([.virtualAliases(path: path), .aliases(path: path),
                                             .sizes(path: path), .aliases(path: folder.path)])
        #expect(!loaded.problems.isEmpty)
        #expect(loaded.problems.contains { $0.file == folder.path && $0.message.contains("Is a directory") })
        #expect(loaded.directory.sizeOf("nobody@nowhere.example") == 1)
    }


    @Test func aTableFileThatCannotBeReadIsOneProblemNamingIt() throws {
        let folder = try Folder()
        let virtual = try folder.write("virtual", "sales@corp.example ann@corp.example, bob@corp.example\n")
        let missing = folder.path + "/no-such-aliases"
        let loaded = AudienceTables.load([.aliases(path: missing), .virtualAliases(path: virtual)])
        #expect(loaded.problems.count == 1)
        #expect(loaded.problems.first?.file == missing)
        #expect(loaded.problems.first?.line == 0)
        #expect(loaded.problems.first?.message.contains("No such file or directory") == true)
        #expect(loaded.directory.sizeOf("sales@corp.example") == 2)
    }

    @Test func aSizeFileOnDiskLoadsAndAMissingOneIsAProblem() throws {
        let folder = try Folder()
        let sizes = try folder.write("sizes", "announce@lists.example 2400\n")
        let missing = folder.path + "/missing-sizes"
        let loaded = AudienceTables.load([.sizes(path: sizes), .sizes(path: missing)])
        #expect(loaded.directory.sizeOf("announce@lists.example") == 2400)
        #expect(loaded.problems.map(\.description)
                == ["\(missing):0: cannot open \(missing): No such file or directory"])
    }

    /// Opened non-blocking: a FIFO nobody writes to is a problem at once, not a hang and not an
    /// empty table (the daemon-level check is ReliabilityTests' TableReloadFaultTests).
    @Test func aFIFOInPlaceOfATableIsAProblemNotAnEmptyTable() throws {
        let folder = try Folder()
        let fifo = folder.path + "/sizes"
        try #require(mkfifo(fifo, 0o600) == 0)
        #expect(TableFile.read(fifo) == .failure(TableReadError("cannot read \(fifo): not a regular file (a FIFO, socket or device)")))
        let loaded = AudienceTables.load([.sizes(path: fifo)])
        #expect(loaded.problems.map(\.description) == ["\(fifo):0: cannot read \(fifo): not a regular file (a FIFO, socket or device)"])
    }

    /// Run with BREAKWATER_BIG=1 in a release build; prints load times, asserts only counts.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["BREAKWATER_BIG"] != nil))
    func aMillionMemberListLoads() throws {
        let folder = try Folder()
        let members = 1_200_000
        var include = ""
        var virtual = "everyone@big.example"
        for i in 0..<members {
            include += "member\(i)@big.example\n"
            virtual += (i == 0 ? "\t" : ",\n\t") + "member\(i)@big.example"
        }
        let includePath = try folder.write("everyone.txt", include)
        let aliasesPath = try folder.write("aliases", "everyone: :include:\(includePath)\n")
        let virtualPath = try folder.write("virtual", virtual + "\n")
        var small = ""
        for i in 0..<100_000 { small += "list\(i)@small.example  a\(i)@small.example, b\(i)@small.example, all@small.example\n" }
        let smallPath = try folder.write("small", small)

        let clock = ContinuousClock()
        for (name, source, key, size) in [
            ("include of 1.2 M lines", AudienceSource.aliases(path: aliasesPath), "everyone@big.example", members),
            ("virtual key with 1.2 M results", .virtualAliases(path: virtualPath), "everyone@big.example", members),
            ("100,000 small lists", .virtualAliases(path: smallPath), "list99999@small.example", 3),
        ] {
            var loaded: (directory: AudienceDirectory, problems: [TableProblem])?
            let took = clock.measure { loaded = AudienceTables.load([source]) }
            print("audience-load: \(name): \(took)")
            let directory = try #require(loaded?.directory)
            #expect(loaded?.problems == [])
            #expect(directory.sizeOf(key) == size)
        }
    }
}

/// Helpers for loading tables with files, under one name so they cannot clash with other suites'.
enum TableKit {
    /// A directory from tables written inline (their includes read from disk), failing the test on any problem.
    static func directory(aliases: String, sourceLocation: SourceLocation = #_sourceLocation) -> AudienceDirectory {
        let (directory, problems) = load(aliases: aliases)
        #expect(problems == [], sourceLocation: sourceLocation)
        return directory
    }

    /// A directory and its problems; the table is named "aliases".
    static func load(aliases: String) -> (AudienceDirectory, [TableProblem]) {
        let loaded = AudienceTables.load([.aliasesText(name: "aliases", text: aliases)])
        return (loaded.directory, loaded.problems)
    }
}

/// A fresh folder for table and include files, removed when the test lets go of it.
final class Folder {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("breakwater-tables-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to `name` in the folder and returns its absolute path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        try text.write(toFile: file, atomically: false, encoding: .utf8)
        return file
    }
}

extension AudienceDirectory {
    /// `size(of:)` for an address written as text (`alice@corp.example` or a bare `alice`).
    func sizeOf(_ text: String) -> Int {
        guard let at = text.lastIndex(of: "@") else { return size(of: EmailAddress(local: text, domain: "")) }
        return size(of: EmailAddress(local: String(text[..<at]), domain: String(text[text.index(after: at)...])))
    }
}

@testable import BreakwaterConfig
import Foundation
import Glibc
import StormCore
import TestSupport
import Testing

/// Breakwater asking a real Postfix configuration (`postconf -c`) for its maps and reading them
/// with Postfix's own `postmap -s` / `postalias -s`. No Postfix runs: only its tools.
@Suite(.enabled(if: Tool.postfixUsable, "needs Postfix's tools (apt-get install postfix) and root"))
struct PostfixTableDiscoveryTests {
    /// A Postfix configuration folder with maps of every kind, in a scratch folder.
    struct MapWorld {
        let folder: String
        var etc: String { "\(folder)/etc" }

        init() throws {
            folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-maps")
            try FileManager.default.createDirectory(atPath: "\(folder)/etc", withIntermediateDirectories: true)
            try Tool.write("compatibility_level = 3.6\n", to: "\(folder)/etc/main.cf")
            try FileManager.default.copyItem(atPath: "/etc/postfix/dynamicmaps.cf", toPath: "\(folder)/etc/dynamicmaps.cf")
        }

        func member(_ prefix: String, _ n: Int) -> String { (1...n).map { "\(prefix)\($0)@corp.test" }.joined(separator: ", ") }

        /// Writes a source file and builds its indexed map with `tool` (postmap or postalias).
        func map(_ name: String, _ text: String, type: String, tool: String = "postmap") throws {
            try Tool.write(text, to: "\(folder)/\(name)")
            try Tool.run(tool, ["-c", etc, "\(type):\(folder)/\(name)"], in: folder)
        }

        /// Points Postfix's main.cf at the maps.
        func use(virtual: [String], aliases: [String]) throws {
            try Tool.postconf(etc, ["virtual_alias_maps = " + virtual.joined(separator: ", "),
                                    "alias_maps = " + aliases.joined(separator: " ")], in: folder)
        }

        /// A daemon configuration that asks this Postfix for its tables.
        func config(_ extra: (inout DaemonConfig) -> Void = { _ in }) -> DaemonConfig {
            var config = DaemonConfig()
            config.postfixTables = PostfixTableSettings(enabled: true, configDirectory: etc)
            extra(&config)
            return config
        }

        func finish() { TestEnvironment.remove(folder) }
    }

    private func size(_ directory: AudienceDirectory, _ address: String) -> Int {
        let parts = address.split(separator: "@", maxSplits: 1).map(String.init)
        return directory.size(of: EmailAddress(local: parts[0], domain: parts.count > 1 ? parts[1] : ""))
    }

    @Test func everyReadableMapCountsAndEveryOtherIsNamedOnce() throws {
        let world = try MapWorld()
        defer { world.finish() }
        let f = world.folder
        // A nested list with a cycle back to the top (eng names all), in the hash map.
        try world.map("virtual", """
            all@corp.test    sales@corp.test, eng@corp.test,
                             boss@corp.test
            sales@corp.test  \(world.member("s", 30))
            eng@corp.test    \(world.member("e", 40)), all@corp.test
            """, type: "hash")
        try world.map("partners", "partners@corp.test \(world.member("p", 5))\n", type: "btree")
        try Tool.write("external@corp.test x1@elsewhere.test, x2@elsewhere.test\n", to: "\(f)/external")
        try Tool.write("carol\ndan\nerin\n", to: "\(f)/staff.inc")
        try world.map("aliases", "staff: ann, bob, :include:\(f)/staff.inc\n", type: "hash", tool: "postalias")
        try Tool.write("ldaplist@corp.test 900\n", to: "\(f)/sizes")
        try world.use(virtual: ["hash:\(f)/virtual", "ldap:\(f)/ldap.cf", "btree:\(f)/partners",
                                "texthash:\(f)/external", "hash:\(f)/never-built"],
                      aliases: ["hash:\(f)/aliases"])

        let (directory, problems) = AudienceTables.load(world.config { $0.listSizeMaps = ["\(f)/sizes"] })

        #expect(size(directory, "all@corp.test") == 71, "30 sales + 40 eng + boss, the cycle cut")
        #expect(size(directory, "eng@corp.test") == 71, "eng reaches all, which reaches eng again")
        #expect(size(directory, "partners@corp.test") == 5)
        #expect(size(directory, "external@corp.test") == 2)
        #expect(size(directory, "staff@corp.test") == 5, "ann, bob and the three in the :include: file")
        #expect(size(directory, "ldaplist@corp.test") == 900, "an LDAP list is sized by list_size_maps")
        #expect(size(directory, "s7@corp.test") == 1)
        #expect(!problems.contains { $0.contains("YP_") || $0.contains("\"@\"") }, "\(problems)")
        #expect(problems.filter { $0.contains("ldap:") } == [
            "postfix map \"ldap:\(f)/ldap.cf\" cannot be read by Breakwater; sizes for its lists come from list_size_maps and learned sizes",
        ])
        let unbuilt = problems.filter { $0.contains("never-built") }
        #expect(unbuilt.count == 1 && unbuilt[0].contains("could not be listed with postmap -s") && unbuilt[0].contains("postmap: fatal"),
                "\(problems)")
        #expect(problems.count == 2, "\(problems)")
    }

    @Test func aRebuiltMapIsSeenByTheNextLoad() throws {
        let world = try MapWorld()
        defer { world.finish() }
        try world.map("virtual", "team@corp.test \(world.member("t", 3))\n", type: "hash")
        try world.use(virtual: ["hash:\(world.folder)/virtual"], aliases: [])
        let before = AudienceTables.load(world.config())
        #expect(before.problems.isEmpty, "\(before.problems)")
        #expect(size(before.directory, "team@corp.test") == 3)

        // The admin edits the source and runs postmap; Postfix reads the .db, and so do we.
        try world.map("virtual", "team@corp.test \(world.member("t", 12))\n", type: "hash")
        let after = AudienceTables.load(world.config())
        #expect(size(after.directory, "team@corp.test") == 12)
    }

    @Test func aPostfixConfigurationThatCannotBeReadLeavesBreakwatersOwnTables() throws {
        let world = try MapWorld()
        defer { world.finish() }
        try Tool.write("big@corp.test 4000\n", to: "\(world.folder)/sizes")
        var config = world.config { $0.listSizeMaps = ["\(world.folder)/sizes"] }
        config.postfixTables.configDirectory = "\(world.folder)/no-such-postfix"
        let (directory, problems) = AudienceTables.load(config)
        #expect(size(directory, "big@corp.test") == 4000)
        #expect(problems.count == 1 && problems[0].hasPrefix("postfix_tables: cannot read Postfix's configuration in"),
                "\(problems)")
    }

    @Test func aToolThatHangsIsKilledAtItsDeadline() {
        let run = PostfixTool.run("/bin/sleep", ["30"], timeout: 0.3, maxOutput: 1 << 20)
        #expect(run == .failure(PostfixTool.Failure(description: "sleep did not finish within 0.3 s")))
    }

    @Test func aToolThatPrintsWithoutEndIsStoppedAtTheOutputCap() {
        let run = PostfixTool.run("/bin/cat", ["/dev/zero"], timeout: 60, maxOutput: 1 << 20)
        #expect(run == .failure(PostfixTool.Failure(description: "cat printed more than 1 MiB")))
    }

    @Test func aFailingToolReportsPostfixsFatalLine() throws {
        let world = try MapWorld()
        defer { world.finish() }
        let run = PostfixTool.run("/usr/sbin/postmap", ["-c", world.etc, "-s", "hash:\(world.folder)/absent"],
                                  timeout: 60, maxOutput: 1 << 20)
        guard case .failure(let why) = run else { Issue.record("postmap -s on a missing map succeeded"); return }
        #expect(why.description.hasPrefix("postmap: fatal: open database \(world.folder)/absent.db"), "\(why)")
    }
}

@testable import BreakwaterConfig
import StormCore
import Testing

/// How Breakwater reads what Postfix's tools print, without running them: main.cf values,
/// map names, which maps it can enumerate, and postalias's bookkeeping keys.
@Suite struct PostfixTableParsingTests {
    @Test func postconfOutputIsReadByParameterNameWhateverTheOrder() {
        let values = PostfixTables.parameters("""
            alias_maps =
            virtual_alias_maps = hash:/etc/postfix/virtual, ldap:/etc/postfix/ldap.cf
            command_directory = /usr/sbin

            """)
        #expect(values["virtual_alias_maps"] == "hash:/etc/postfix/virtual, ldap:/etc/postfix/ldap.cf")
        #expect(values["alias_maps"] == "")
        #expect(values["command_directory"] == "/usr/sbin")
    }

    @Test func mapListsSplitOnCommasAndBlanksButNotInsideBraces() {
        #expect(PostfixTables.mapNames("hash:/a, lmdb:/b\ttexthash:/c,,") == ["hash:/a", "lmdb:/b", "texthash:/c"])
        #expect(PostfixTables.mapNames("inline:{ a@x=b@x, c@x=d@x } hash:/v") == ["inline:{ a@x=b@x, c@x=d@x }", "hash:/v"])
        #expect(PostfixTables.mapNames("  ").isEmpty)
    }

    @Test func indexedMapsAreDumpedTextMapsReadAndServersNamed() {
        #expect(PostfixTables.reading(of: "hash:/etc/postfix/virtual") == .dump("hash:/etc/postfix/virtual"))
        #expect(PostfixTables.reading(of: "LMDB:/etc/aliases") == .dump("lmdb:/etc/aliases"))
        #expect(PostfixTables.reading(of: "cdb:/etc/postfix/lists") == .dump("cdb:/etc/postfix/lists"))
        #expect(PostfixTables.reading(of: "btree:/etc/postfix/lists") == .dump("btree:/etc/postfix/lists"))
        #expect(PostfixTables.reading(of: "proxy:hash:/etc/postfix/virtual") == .dump("hash:/etc/postfix/virtual"))
        #expect(PostfixTables.reading(of: "texthash:/etc/postfix/virtual") == .text(path: "/etc/postfix/virtual"))
        #expect(PostfixTables.reading(of: "/etc/aliases") == .text(path: "/etc/aliases"))
        for server in ["ldap:/etc/postfix/ldap.cf", "mysql:/etc/postfix/m.cf", "pgsql:/p.cf", "pcre:/etc/postfix/v.pcre",
                       "regexp:/etc/postfix/v.re", "proxy:ldap:/etc/postfix/ldap.cf", "socketmap:inet:127.0.0.1:9:v",
                       "tcp:127.0.0.1:9", "inline:{a=b}", "hash:", "texthash:relative", "aliases"] {
            #expect(PostfixTables.reading(of: server) == .unreadable, "\(server)")
        }
    }

    @Test func theUnreadableMapIsNamedWithWhereItsSizesComeFrom() {
        #expect(PostfixTables.unreadableProblem("ldap:/etc/postfix/ldap.cf")
            == "postfix map \"ldap:/etc/postfix/ldap.cf\" cannot be read by Breakwater; "
            + "sizes for its lists come from list_size_maps and learned sizes")
    }

    @Test func postaliasBookkeepingKeysAreNotTakenForAliases() {
        let dump = "@:\t@\nYP_LAST_MODIFIED:\t1795642004\nYP_MASTER_NAME:\tmx.example.test\nstaff:\tann, bob, cy\n"
        let text = PostfixTables.aliasDump(dump)
        #expect(text == "staff:\tann, bob, cy\n\n")
        let (directory, problems) = AudienceDirectory.load([.aliasesText(name: "hash:/etc/aliases", text: text)])
        #expect(problems.isEmpty)
        #expect(directory.listCount == 1)
        #expect(directory.size(of: EmailAddress(local: "staff", domain: "example.test")) == 3)
    }

    /// Postfix's tools print bytes: "\r\n" is one Swift Character, and a combining mark (U+0301)
    /// after a comma or blank is one Character with it; both must still separate.
    @Test func toolOutputIsSplitByScalarNotByCharacter() {
        func scalars(_ s: some StringProtocol) -> [UInt32] { s.unicodeScalars.map(\.value) }
        let dump = "staff:\tann, bob\r\n@:\t@\r\nYP_MASTER_NAME:\tmx\r\n"
        #expect(scalars(PostfixTables.aliasDump(dump)) == scalars("staff:\tann, bob\r\n\n"))
        let values = PostfixTables.parameters("alias_maps = hash:/a\r\nvirtual_alias_maps = \u{301}x\r\n")
        #expect(values["alias_maps"].map(scalars) == scalars("hash:/a"))
        #expect(values["virtual_alias_maps"].map(scalars) == scalars("\u{301}x"))
        #expect(PostfixTables.mapNames("hash:/a,\u{301}b hash:/c \u{301}d").map(scalars)
            == ["hash:/a", "\u{301}b", "hash:/c", "\u{301}d"].map(scalars))
    }

    /// postconf's folder is cut at its last "/" by scalar: "/" with a combining mark after it
    /// is one Character, but still the separator.
    @Test func theToolFolderIsCutAtTheLastSlashByScalar() {
        #expect(Array(PostfixTables.directory(of: "/opt/pf/sbin/\u{301}postconf").unicodeScalars)
            == Array("/opt/pf/sbin".unicodeScalars))
        #expect(PostfixTables.directory(of: "/postconf") == "/")
        #expect(PostfixTables.directory(of: "postconf") == "/")
    }

    @Test func postmapDumpLinesFeedTheVirtualParserUnchanged() {
        let dump = "all@example.test\tann@example.test,  bob@example.test, team@example.test\n"
            + "team@example.test\tcy@example.test dee@example.test\n"
        let (directory, problems) = AudienceDirectory.load([.virtualAliasesText(name: "hash:/v", text: dump)])
        #expect(problems.isEmpty)
        #expect(directory.size(of: EmailAddress(local: "all", domain: "example.test")) == 4)
    }

    @Test func turnedOffMeansPostfixIsNeverAsked() {
        let found = PostfixTables.discover(PostfixTableSettings(enabled: false, configDirectory: "/nonexistent"))
        #expect(found == PostfixTables.Discovery())
    }

    @Test func theConfigKeysAreReadAndCheckedAndDefaultOff() throws {
        let defaults = try ConfigLoader.parse("", file: "t.conf", checks: .none).get()
        #expect(defaults.postfixTables == PostfixTableSettings(enabled: false, configDirectory: "/etc/postfix"))
        let on = try ConfigLoader.parse("postfix_tables = yes\npostfix_config_directory = /srv/pf\n", file: "t.conf", checks: .none).get()
        #expect(on.postfixTables == PostfixTableSettings(enabled: true, configDirectory: "/srv/pf"))
        let bad = ConfigLoader.parse("postfix_tables = maybe\npostfix_config_directory = etc/postfix\n", file: "t.conf", checks: .none)
        guard case .failure(let errors) = bad else { Issue.record("bad values accepted"); return }
        #expect(errors.problems.map(\.line) == [1, 2])
    }
}

import Glibc
package import StormCore

/// `postfix_tables` and `postfix_config_directory`: whether Breakwater asks Postfix which
/// virtual-alias and aliases(5) maps it uses, and which Postfix configuration to ask.
package struct PostfixTableSettings: Sendable, Equatable {
    /// `postfix_tables = yes`: read the maps named by Postfix's `virtual_alias_maps` and `alias_maps`.
    package var enabled = false
    /// `postfix_config_directory`: the folder holding Postfix's `main.cf` (`postconf -c`).
    package var configDirectory = "/etc/postfix"

    /// Off, with Debian's Postfix folder.
    package init(enabled: Bool = false, configDirectory: String = "/etc/postfix") {
        self.enabled = enabled
        self.configDirectory = configDirectory
    }
}

/// Finds the tables Postfix itself expands recipients with, and turns each into an audience
/// source. Indexed maps are dumped by Postfix's own `postmap -s` / `postalias -s` (so the figures
/// are those of the `.db` Postfix reads, whatever the source file says); text maps are read as
/// files; maps behind a server (LDAP, SQL, ...) are named in one problem each and skipped.
package enum PostfixTables {
    /// What discovery found: sources to load (in Postfix's order) and problems for the log.
    package struct Discovery: Sendable, Equatable {
        /// Audience sources, virtual-alias maps first, then aliases(5) maps.
        package var sources: [AudienceSource] = []
        /// One line per map that could not be used, and per failed tool run.
        package var problems: [String] = []
    }

    /// Which Postfix table a map came from: it decides the dump tool and the parser.
    enum Role: Sendable, Equatable {
        case virtualAliases, aliases
        /// The Postfix tool that dumps an indexed map of this role.
        var tool: String { self == .virtualAliases ? "postmap" : "postalias" }
    }

    /// How Breakwater can read one map named in main.cf.
    enum MapReading: Sendable, Equatable {
        /// An indexed map (`hash:`, `lmdb:`, ...): dumped with `postmap -s` / `postalias -s`.
        case dump(String)
        /// A text file read directly (`texthash:` or a bare path).
        case text(path: String)
        /// Served by something Breakwater cannot enumerate (a server, a pattern, a program).
        case unreadable
    }

    /// Map types whose whole contents Postfix's tools can list.
    static let indexedTypes: Set<String> = ["hash", "btree", "lmdb", "cdb", "dbm", "sdbm"]
    /// Where `postconf` is looked for; the other tools come from its `command_directory`.
    static let postconfCandidates = ["/usr/sbin/postconf", "/usr/local/sbin/postconf", "/usr/bin/postconf", "/sbin/postconf"]
    /// Seconds a tool may run: postconf is instant; a dump of a million-entry map is not.
    static let postconfTimeout = 30.0, dumpTimeout = 300.0
    /// Most bytes a tool may print: main.cf settings are short; a map dump may be large.
    static let maxSettingsBytes = 1 << 20, maxDumpBytes = 512 << 20

    /// Asks Postfix (configuration in `settings.configDirectory`) for its maps and reads each.
    /// Nothing here is fatal: whatever cannot be read is a problem and the rest still loads.
    package static func discover(_ settings: PostfixTableSettings) -> Discovery {
        var found = Discovery()
        guard settings.enabled else { return found }
        let dir = settings.configDirectory
        guard let postconf = postconfCandidates.first(where: { access($0, X_OK) == 0 }) else {
            found.problems.append("postfix_tables: postconf not found (looked in "
                + postconfCandidates.joined(separator: ", ") + "); only Breakwater's own tables are loaded")
            return found
        }
        let asked = PostfixTool.run(postconf, ["-c", dir, "-x", "command_directory", "virtual_alias_maps", "alias_maps"],
                                    timeout: postconfTimeout, maxOutput: maxSettingsBytes)
        let values: [String: String]
        switch asked {
        case .failure(let why):
            found.problems.append("postfix_tables: cannot read Postfix's configuration in \(dir): \(why); "
                + "only Breakwater's own tables are loaded")
            return found
        case .success(let output):
            values = parameters(String(decoding: output.stdout, as: UTF8.self))
        }
        let commands = values["command_directory"].flatMap { $0.isEmpty ? nil : $0 } ?? directory(of: postconf)
        for (parameter, role) in [("virtual_alias_maps", Role.virtualAliases), ("alias_maps", .aliases)] {
            for map in mapNames(values[parameter] ?? "") {
                read(map, role: role, configDirectory: dir, commands: commands, into: &found)
            }
        }
        return found
    }

    /// Reads one map into `found`, as a source or as a problem.
    private static func read(_ map: String, role: Role, configDirectory: String, commands: String, into found: inout Discovery) {
        switch reading(of: map) {
        case .text(let path):
            found.sources.append(role == .virtualAliases ? .virtualAliases(path: path) : .aliases(path: path))
        case .unreadable:
            found.problems.append(unreadableProblem(map))
        case .dump(let indexed):
            let tool = "\(commands)/\(role.tool)"
            switch PostfixTool.run(tool, ["-c", configDirectory, "-s", indexed], timeout: dumpTimeout, maxOutput: maxDumpBytes) {
            case .failure(let why):
                found.problems.append("postfix map \(quoted(map)) could not be listed with \(role.tool) -s: \(why)")
            case .success(let output):
                let text = String(decoding: output.stdout, as: UTF8.self)
                found.sources.append(role == .virtualAliases
                    ? .virtualAliasesText(name: map, text: text)
                    : .aliasesText(name: map, text: aliasDump(text)))
            }
        }
    }

    /// The problem line for a map Breakwater cannot enumerate (logged once per load).
    static func unreadableProblem(_ map: String) -> String {
        "postfix map \(quoted(map)) cannot be read by Breakwater; sizes for its lists come from list_size_maps and learned sizes"
    }

    /// `name = value` lines of `postconf -x` as a dictionary (values may be empty).
    static func parameters(_ output: String) -> [String: String] {
        var values: [String: String] = [:]
        // why scalars: "\r\n" is one Character (equal to neither "\n" nor "\r"), and `=` or a
        // blank followed by a combining mark is one Character with it; postconf prints bytes.
        for line in output.unicodeScalars.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            guard let eq = line.firstIndex(of: "=") else { continue }
            let name = Substring(line[..<eq]).trimmingBlanks, value = Substring(line[line.index(after: eq)...]).trimmingBlanks
            if !name.isEmpty { values[String(name)] = String(value) }
        }
        return values
    }

    /// The map names in a `*_maps` value, split the way Postfix splits them: on commas and
    /// blanks, except inside `{ }` (so `inline:{ a=b, c=d }` stays one map).
    static func mapNames(_ value: String) -> [String] {
        var names: [String] = [], current = "", depth = 0
        // why scalars: a comma or blank followed by a combining mark is one Character with it.
        for ch in value.unicodeScalars {
            if ch == "{" { depth += 1 } else if ch == "}" { depth = max(0, depth - 1) }
            if depth == 0 && (ch == "," || ch == " " || ch == "\t" || ch == "\n") {
                if !current.isEmpty { names.append(current); current = "" }
            } else {
                current.unicodeScalars.append(ch)
            }
        }
        if !current.isEmpty { names.append(current) }
        return names
    }

    /// How a map named `type:name` (or a bare path) can be read.
    static func reading(of map: String) -> MapReading {
        guard let colon = map.firstIndex(of: ":") else {
            return map.hasPrefix("/") ? .text(path: map) : .unreadable
        }
        let type = map[..<colon].lowercased(), rest = String(map[map.index(after: colon)...])
        if type == "texthash" { return rest.hasPrefix("/") ? .text(path: rest) : .unreadable }
        if indexedTypes.contains(type) { return rest.isEmpty ? .unreadable : .dump(type + ":" + rest) }
        // why: proxymap only carries lookups to the same table; read that table directly.
        if type == "proxy", case .dump(let inner) = reading(of: rest) { return .dump(inner) }
        return .unreadable
    }

    /// `postalias -s` output without the bookkeeping keys postalias stores in every map
    /// (`@` marks a complete database; `YP_*` serve NIS), which are not aliases.
    static func aliasDump(_ text: String) -> String {
        var kept = ""
        kept.reserveCapacity(text.utf8.count)
        // why scalars: "\r\n" is one Character, which a split on "\n" does not see, and the key
        // must be compared exactly, not by canonical equivalence.
        for line in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
            let key = line.prefix { $0 != ":" }
            if key.elementsEqual("@".unicodeScalars) || key.elementsEqual("YP_LAST_MODIFIED".unicodeScalars)
                || key.elementsEqual("YP_MASTER_NAME".unicodeScalars) { continue }
            kept.unicodeScalars.append(contentsOf: line)
            kept += "\n"
        }
        return kept
    }

    private static func quoted(_ s: String) -> String { LogText.quoted(s, maxBytes: 200) }

    /// The folder postconf is in (FileIO's cut, by byte); a bare name is taken as in "/".
    static func directory(of path: String) -> String {
        path.utf8.contains(UInt8(ascii: "/")) ? FileIO.directory(of: path) : "/"
    }
}

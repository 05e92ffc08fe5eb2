/// Builds a directory: gathers table entries, reads `:include:` files, then expands every key
/// once, strongly connected component by component, so cycles are cut and shared lists are
/// expanded a single time.
struct AudienceLoader {
    private struct Node {
        var key: String
        var file: String
        var line: Int
        var source: Int
        var targets: [AliasTarget]
    }
    private enum Ref { case node(Int), sized(UInt32) }

    private let options: AudienceOptions
    private let readFile: TableReader
    private var problems: [TableProblem] = []
    private var nodes: [Node] = []
    private var nodeByKey: [String: Int] = [:]
    private var nodeByInclude: [String: Int?] = [:]     // nil value: the file could not be read
    private var sizes: [String: SizeEntry] = [:]
    private var sizeSeen: [String: (source: Int, line: Int)] = [:]
    private var source = 0
    private var bareNamesExist = false

    init(options: AudienceOptions, files: @escaping TableReader) {
        self.options = options
        self.readFile = files
    }

    mutating func add(_ audienceSource: AudienceSource) {
        source += 1
        switch audienceSource {
        case .virtualAliases(let path): if let bytes = read(path) { addTable(AliasTable.virtual(bytes, file: path), file: path) }
        case .aliases(let path): if let bytes = read(path) { addTable(AliasTable.aliases(bytes, file: path), file: path) }
        case .sizes(let path): if let bytes = read(path) { addSizes(SizeTable.parse(bytes, file: path), file: path) }
        case .virtualAliasesText(let name, let text): addTable(AliasTable.virtual(Array(text.utf8), file: name), file: name)
        case .aliasesText(let name, let text): addTable(AliasTable.aliases(Array(text.utf8), file: name), file: name)
        case .sizesText(let name, let text): addSizes(SizeTable.parse(Array(text.utf8), file: name), file: name)
        }
    }

    private mutating func read(_ path: String) -> [UInt8]? {
        switch readFile(path) {
        case .success(let bytes): return bytes
        case .failure(let why): problems.append(TableProblem(file: path, line: 0, message: why.message)); return nil
        }
    }

    private mutating func addTable(_ table: (entries: [AliasEntry], problems: [TableProblem]), file: String) {
        problems += table.problems
        for entry in table.entries {
            if !entry.key.utf8.contains(TableByte.at) { bareNamesExist = true }
            guard let index = nodeByKey[entry.key] else {
                nodeByKey[entry.key] = nodes.count
                nodes.append(Node(key: entry.key, file: file, line: entry.line, source: source, targets: entry.targets))
                continue
            }
            // Like postmap: within one table the first entry wins; a later table adds members.
            if nodes[index].source == source {
                problems.append(TableProblem(file: file, line: entry.line,
                                             message: "duplicate entry for \(entry.key) (first at line \(nodes[index].line)) ignored"))
            } else {
                nodes[index].targets += entry.targets
                nodes[index].source = source
                nodes[index].line = entry.line
            }
        }
    }

    private mutating func addSizes(_ table: (entries: [SizeEntry], problems: [TableProblem]), file: String) {
        problems += table.problems
        for entry in table.entries {
            if !entry.key.utf8.contains(TableByte.at) { bareNamesExist = true }
            if let earlier = sizeSeen[entry.key], earlier.source == source {
                problems.append(TableProblem(file: file, line: entry.line,
                                             message: "duplicate size for \(entry.key) (first at line \(earlier.line)) ignored"))
                continue
            }
            sizeSeen[entry.key] = (source, entry.line)
            // Two sources sizing one list: the larger is the safer guess.
            if sizes[entry.key].map({ $0.size < entry.size }) ?? true { sizes[entry.key] = entry }
        }
    }

    /// Reads every `:include:` file once, however often it is named; includes may nest.
    private mutating func readIncludes() {
        var index = 0
        while index < nodes.count {
            let node = nodes[index]
            for case .include(let path, let line) in node.targets where nodeByInclude[path] == nil {
                // why node.file: an include that cannot be read belongs to the line that names it.
                switch readFile(path) {
                case .failure(let why):
                    problems.append(TableProblem(file: node.file, line: line, message: why.message))
                    nodeByInclude[path] = .some(nil)
                case .success(let bytes):
                    let parsed = AliasTable.include(bytes, file: path)
                    problems += parsed.problems
                    nodeByInclude[path] = nodes.count
                    nodes.append(Node(key: path, file: path, line: 0, source: 0, targets: parsed.targets))
                }
            }
            index += 1
        }
    }

    mutating func finish() -> (directory: AudienceDirectory, problems: [TableProblem]) {
        readIncludes()
        // Folded again here: the options' properties can be set after init, unfolded.
        let localDomains = Set(options.localDomains.map { EmailAddress(local: "x", domain: $0).domain })
        let keys = AddressKeys(delimiters: options.recipientDelimiter, localDomains: localDomains,
                               bareNamesExist: bareNamesExist)
        var mailboxIDs: [String: UInt32] = [:]
        // Growing a million-key dictionary step by step rehashes every key many times over.
        mailboxIDs.reserveCapacity(nodes.reduce(0) { $0 + $1.targets.count })
        func intern(_ mailbox: String) -> UInt32 {
            if let id = mailboxIDs[mailbox] { return id }
            let id = UInt32(truncatingIfNeeded: mailboxIDs.count)
            mailboxIDs[mailbox] = id
            return id
        }
        var weights = ContiguousArray<Int>()
        var sizedIDs: [String: UInt32] = [:]
        for (key, entry) in sizes {
            sizedIDs[key] = UInt32(truncatingIfNeeded: weights.count)
            weights.append(entry.size)
        }

        // Each key's direct results: final mailboxes, numbers, and edges to other keys.
        var graph = ExpansionGraph(count: nodes.count)
        for (v, node) in nodes.enumerated() {
            for target in node.targets {
                switch target {
                case .delivery(let text):
                    graph.finals[v].append(intern(text))
                case .include(let path, _):
                    if let w = nodeByInclude[path] ?? nil, w != v { graph.edges[v].append(w) }
                case .address(let key, let expand):
                    let ref: Ref? = expand ? keys.first(key) { k in
                        nodeByKey[k].map(Ref.node) ?? sizedIDs[k].map(Ref.sized)
                    } : nil
                    switch ref {
                    case .node(let w) where w == v:
                        // A key naming itself is delivered to as well as expanded.
                        graph.finals[v].append(intern(keys.mailbox(node.key)))
                    case .node(let w): graph.edges[v].append(w)
                    case .sized(let id): graph.sized[v].append(id)
                    case nil: graph.finals[v].append(intern(keys.mailbox(key)))
                    }
                }
            }
            if nodeByKey[node.key] == v { graph.ownSize[v] = sizedIDs[node.key] }
        }
        let results = graph.expand(weights: &weights, maxStoredMembers: options.maxStoredMembers)

        var entries: [String: AudienceEntry] = [:]
        entries.reserveCapacity(nodeByKey.count + sizedIDs.count)
        for (key, v) in nodeByKey {
            var entry = results[v]
            let me = mailboxIDs[keys.mailbox(key)]
            entry.isList = !(entry.sized.isEmpty && entry.members.count == 1 && entry.members.first == me)
            entries[key] = entry
        }
        for (key, id) in sizedIDs where entries[key] == nil {
            entries[key] = AudienceEntry(members: [], sized: [id], reach: weights[Int(id)], isList: true)
        }
        let directory = AudienceDirectory(entries: entries, mailboxIDs: mailboxIDs, sizedWeights: weights,
                                          keys: keys, maxUnionWork: options.maxUnionWork)
        return (directory, problems)
    }
}

/// Where audience figures come from.
public enum AudienceSource: Sendable, Equatable {
    /// A Postfix virtual(5) source file: `pattern  result, result`.
    case virtualAliases(path: String)
    /// An aliases(5) file: `name: a, b, :include:/path, |cmd, /file`.
    case aliases(path: String)
    /// An `address  size` file, for lists kept elsewhere (Mailman, LDAP exports).
    case sizes(path: String)
    /// virtual(5) text already in memory (tests, `postmap -s` output); `name` labels its problems.
    case virtualAliasesText(name: String, text: String)
    /// aliases(5) text already in memory (tests, `postalias -s` output).
    case aliasesText(name: String, text: String)
    /// Size-file text already in memory.
    case sizesText(name: String, text: String)
}

/// How addresses are matched and how much work one message may cost.
public struct AudienceOptions: Sendable, Equatable {
    /// Postfix `recipient_delimiter` characters (e.g. "+"); empty turns extension lookups off.
    public var recipientDelimiter: String
    /// Domains where aliases(5) names (and domain-less virtual keys) apply; empty means any domain.
    public var localDomains: Set<String>
    /// Member ids merged at most per message before the count falls back to an upper bound.
    public var maxUnionWork: Int
    /// Member ids kept at most over all lists; a list past it is kept as a number, so a hostile
    /// table (thousands of lists each nesting a huge one) cannot exhaust memory.
    public var maxStoredMembers: Int

    /// Options with Postfix's defaults: no delimiter, every domain local.
    public init(recipientDelimiter: String = "", localDomains: Set<String> = [],
                maxUnionWork: Int = 4_000_000, maxStoredMembers: Int = 50_000_000) {
        self.recipientDelimiter = recipientDelimiter
        self.localDomains = Set(localDomains.map { EmailAddress(local: "x", domain: $0).domain })
        self.maxUnionWork = maxUnionWork
        self.maxStoredMembers = maxStoredMembers
    }
}

/// How many mailboxes a message reaches.
public struct AudienceCount: Sendable, Equatable {
    /// Mailboxes reached; exact unless `isUpperBound`.
    public var count: Int
    /// True when some sizes were known only as numbers, or the union work cap was hit.
    public var isUpperBound: Bool

    /// A count, exact or an upper bound.
    public init(count: Int, isUpperBound: Bool) {
        self.count = count
        self.isUpperBound = isUpperBound
    }
}

/// Who one table key reaches, worked out once at load.
struct AudienceEntry: Sendable {
    /// Sorted, unique ids of the final mailboxes.
    var members: ContiguousArray<UInt32>
    /// Sorted, unique ids of audiences known only as a number (size file, or too big to keep).
    var sized: ContiguousArray<UInt32>
    /// `members.count` plus the sizes of `sized`.
    var reach: Int
    /// False when the key reaches only itself.
    var isList: Bool
}

/// Answers "how many mailboxes does this recipient reach?" in O(1) after load. Immutable, shared.
public final class AudienceDirectory: Sendable {
    /// A directory that knows no table: every address counts 1.
    public static let empty = AudienceDirectory(entries: [:], mailboxIDs: [:], sizedWeights: [],
                                                keys: AddressKeys(delimiters: "", localDomains: [], bareNamesExist: false),
                                                maxUnionWork: AudienceOptions().maxUnionWork)

    let entries: [String: AudienceEntry]
    let mailboxIDs: [String: UInt32]
    let sizedWeights: ContiguousArray<Int>
    let keys: AddressKeys
    let maxUnionWork: Int

    /// Addresses with an expansion or size entry (aliases(5) names count once, not per domain).
    public let listCount: Int
    /// Distinct final mailboxes known (including `|command` and `/file` deliveries).
    public var mailboxCount: Int { mailboxIDs.count }

    init(entries: [String: AudienceEntry], mailboxIDs: [String: UInt32], sizedWeights: ContiguousArray<Int>,
         keys: AddressKeys, maxUnionWork: Int) {
        self.entries = entries
        self.mailboxIDs = mailboxIDs
        self.sizedWeights = sizedWeights
        self.keys = keys
        self.maxUnionWork = maxUnionWork
        self.listCount = entries.values.reduce(0) { $0 + ($1.isList ? 1 : 0) }
    }

    /// Loads every source, later sources adding to earlier ones; problems are reported, never fatal.
    /// A file that cannot be read is one problem (line 0) naming the file and the OS error.
    public static func load(_ sources: [AudienceSource], options: AudienceOptions = .init())
        -> (directory: AudienceDirectory, problems: [TableProblem]) {
        var loader = AudienceLoader(options: options)
        for source in sources { loader.add(source) }
        return loader.finish()
    }

    /// The audience of one recipient: list members, a size from the size file, or 1.
    /// A size entry for an address that is also a list counts when it is the larger.
    public func size(of address: EmailAddress) -> Int {
        entry(for: address)?.entry.reach ?? 1
    }

    /// True when the address expands to more than itself (a list) or has a size entry.
    public func isList(_ address: EmailAddress) -> Bool {
        entry(for: address)?.entry.isList ?? false
    }

    /// Audience of a message: size of the union of its recipients' expansions. `learned` gives
    /// a size the traffic showed for an address no table knows (nil = none).
    public func audience(of recipients: [EmailAddress], learned: (EmailAddress) -> Int?) -> AudienceCount {
        var listKeys: Set<String> = []
        var lists: [AudienceEntry] = []
        var singles: Set<String> = []
        var learnedSeen: Set<String> = []
        var numbers = 0
        var isUpperBound = false
        for recipient in recipients {
            if let found = entry(for: recipient) {
                if listKeys.insert(found.key).inserted { lists.append(found.entry) }
                continue
            }
            let mailbox = keys.mailbox(recipient.key)
            if singles.contains(mailbox) || learnedSeen.contains(mailbox) { continue }
            if let size = learned(recipient), size > 1 {
                learnedSeen.insert(mailbox)
                numbers = Self.saturatingSum(numbers, size)
                isUpperBound = true
            } else {
                singles.insert(mailbox)
            }
        }

        let memberLists = lists.map(\.members).filter { !$0.isEmpty }
        let work = memberLists.reduce(0) { $0 + $1.count }
        var count: Int
        switch memberLists.count {
        case 0: count = 0
        case 1: count = work
        default:
            if work > maxUnionWork {
                count = work
                isUpperBound = true
            } else {
                count = Self.unionCount(memberLists)
            }
        }

        // A lone recipient who is also on a listed list is already counted.
        let searches = singles.count * memberLists.count
        if searches > maxUnionWork { isUpperBound = true }
        for mailbox in singles {
            if searches <= maxUnionWork, let id = mailboxIDs[mailbox],
               memberLists.contains(where: { Self.sortedContains($0, id) }) { continue }
            count += 1
        }

        var sized: Set<UInt32> = []
        for list in lists { sized.formUnion(list.sized) }
        for id in sized { numbers = Self.saturatingSum(numbers, sizedWeights[Int(id)]) }
        if !sized.isEmpty { isUpperBound = true }
        return AudienceCount(count: Self.saturatingSum(count, numbers), isUpperBound: isUpperBound)
    }

    /// The matched table key and its entry, searched in Postfix's order.
    private func entry(for address: EmailAddress) -> (key: String, entry: AudienceEntry)? {
        keys.first(address.key) { key in entries[key].map { (key, $0) } }
    }

    /// Distinct ids across sorted lists, merged pairwise so the cost is n·log(k), not n·k.
    static func unionCount(_ lists: [ContiguousArray<UInt32>]) -> Int {
        var level = lists
        while level.count > 1 {
            var next: [ContiguousArray<UInt32>] = []
            next.reserveCapacity((level.count + 1) / 2)
            for i in stride(from: 0, to: level.count, by: 2) {
                next.append(i + 1 < level.count ? mergeUnion(level[i], level[i + 1]) : level[i])
            }
            level = next
        }
        return level.first?.count ?? 0
    }

    static func mergeUnion(_ a: ContiguousArray<UInt32>, _ b: ContiguousArray<UInt32>) -> ContiguousArray<UInt32> {
        var out = ContiguousArray<UInt32>()
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if a[i] < b[j] { out.append(a[i]); i += 1 }
            else if b[j] < a[i] { out.append(b[j]); j += 1 }
            else { out.append(a[i]); i += 1; j += 1 }
        }
        out.append(contentsOf: a[i...])
        out.append(contentsOf: b[j...])
        return out
    }

    static func sortedContains(_ list: ContiguousArray<UInt32>, _ id: UInt32) -> Bool {
        var lo = 0, hi = list.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if list[mid] < id { lo = mid + 1 } else { hi = mid }
        }
        return lo < list.count && list[lo] == id
    }

    /// Sizes come from files and from callers; a silly one must not trap the daemon.
    static func saturatingSum(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : sum
    }
}

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
    private var problems: [TableProblem] = []
    private var nodes: [Node] = []
    private var nodeByKey: [String: Int] = [:]
    private var nodeByInclude: [String: Int?] = [:]     // nil value: the file could not be read
    private var sizes: [String: SizeEntry] = [:]
    private var sizeSeen: [String: (source: Int, line: Int)] = [:]
    private var source = 0
    private var bareNamesExist = false

    init(options: AudienceOptions) { self.options = options }

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
        switch TableFile.contents(of: path, reportAs: path, line: 0) {
        case .success(let bytes): return bytes
        case .failure(let problem): problems.append(problem); return nil
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
                switch TableFile.contents(of: path, reportAs: node.file, line: line) {
                case .failure(let problem):
                    problems.append(problem)
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

/// Every table key (and `:include:` file) as a node: its own final mailboxes, its numbers, and
/// edges to the keys it names.
struct ExpansionGraph {
    var finals: [[UInt32]]
    var sized: [[UInt32]]
    var edges: [[Int]]
    var ownSize: [UInt32?]

    init(count: Int) {
        finals = Array(repeating: [], count: count)
        sized = Array(repeating: [], count: count)
        edges = Array(repeating: [], count: count)
        ownSize = Array(repeating: nil, count: count)
    }

    /// Each node's entry. Keys in one cycle reach the same mailboxes, so strongly connected
    /// components (Tarjan, iterative so a 100,000-deep chain cannot overflow the stack) are
    /// expanded as one, after every component they reach.
    func expand(weights: inout ContiguousArray<Int>, maxStoredMembers: Int) -> [AudienceEntry] {
        let count = finals.count
        var results: [AudienceEntry] = []
        var resultOf = [Int](repeating: -1, count: count)
        var component = [Int](repeating: -1, count: count)
        var stored = 0

        func finish(_ scc: [Int], id: Int) {
            for v in scc { component[v] = id }
            var gathered = ContiguousArray<UInt32>()
            var numbers = ContiguousArray<UInt32>()
            var parts: [Int] = []
            var seen: Set<Int> = []
            for v in scc {
                gathered.append(contentsOf: finals[v])
                numbers.append(contentsOf: sized[v])
                for w in edges[v] where component[w] != id && seen.insert(resultOf[w]).inserted {
                    parts.append(resultOf[w])
                }
            }
            for r in parts { numbers.append(contentsOf: results[r].sized) }
            numbers = Self.sortedUnique(numbers)
            let total = parts.reduce(gathered.count) { $0 + results[$1].members.count }
            var members: ContiguousArray<UInt32>
            if gathered.isEmpty && parts.count == 1 {
                members = results[parts[0]].members        // shared, not copied
            } else if stored + total > maxStoredMembers {
                // Too big to keep: remember it as a number (an upper bound: overlaps not removed).
                let bound = numbers.reduce(total) { AudienceDirectory.saturatingSum($0, weights[Int($1)]) }
                numbers = [UInt32(truncatingIfNeeded: weights.count)]
                weights.append(bound)
                members = []
            } else {
                for r in parts { gathered.append(contentsOf: results[r].members) }
                members = Self.sortedUnique(gathered)
                stored += members.count
            }
            let reach = numbers.reduce(members.count) { AudienceDirectory.saturatingSum($0, weights[Int($1)]) }
            results.append(AudienceEntry(members: members, sized: numbers, reach: reach, isList: true))
            for v in scc {
                resultOf[v] = results.count - 1
                // A size entry larger than what the tables show wins (the list lives elsewhere too).
                if let own = ownSize[v], weights[Int(own)] > reach {
                    results.append(AudienceEntry(members: [], sized: [own], reach: weights[Int(own)], isList: true))
                    resultOf[v] = results.count - 1
                }
            }
        }

        var order = [Int](repeating: -1, count: count)
        var low = [Int](repeating: 0, count: count)
        var onStack = [Bool](repeating: false, count: count)
        var stack: [Int] = []
        var calls: [(node: Int, next: Int)] = []
        var counter = 0
        var components = 0
        func visit(_ v: Int) {
            order[v] = counter
            low[v] = counter
            counter += 1
            stack.append(v)
            onStack[v] = true
            calls.append((v, 0))
        }
        for root in 0..<count where order[root] < 0 {
            visit(root)
            while let (v, next) = calls.last.map({ ($0.node, $0.next) }) {
                if next < edges[v].count {
                    calls[calls.count - 1].next += 1
                    let w = edges[v][next]
                    if order[w] < 0 { visit(w) } else if onStack[w] { low[v] = min(low[v], order[w]) }
                    continue
                }
                calls.removeLast()
                if let parent = calls.last?.node { low[parent] = min(low[parent], low[v]) }
                guard low[v] == order[v] else { continue }
                var scc: [Int] = []
                while let w = stack.popLast() {
                    onStack[w] = false
                    scc.append(w)
                    if w == v { break }
                }
                finish(scc, id: components)
                components += 1
            }
        }
        return resultOf.map { results[$0] }
    }

    static func sortedUnique(_ ids: ContiguousArray<UInt32>) -> ContiguousArray<UInt32> {
        guard ids.count > 1 else { return ids }
        var sorted = ids
        sorted.sort()
        var last = 0
        for i in 1..<sorted.count where sorted[i] != sorted[last] {
            last += 1
            sorted[last] = sorted[i]
        }
        sorted.removeSubrange((last + 1)...)
        return sorted
    }
}

/// Where audience figures come from: files (read by the `files` reader given to
/// `AudienceDirectory.load`) or text already in memory.
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
    /// Hashes of every table key, so that ordinary mail can be told apart from mail to a list
    /// without building a String per recipient (see `RecipientScan`).
    let keyHashes: Set<UInt64>

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
        self.keyHashes = Set(entries.keys.lazy.map { MessageKey($0).rawValue })
    }

    /// Loads every source, later sources adding to earlier ones; problems are reported, never fatal.
    /// `files` reads the sources given by path and every `:include:` file; a file it cannot read
    /// is one problem naming the file (line 0, or the line of the include). The default reads
    /// nothing, so a load of text alone needs no file system.
    public static func load(_ sources: [AudienceSource], options: AudienceOptions = .init(),
                            files: @escaping TableReader = noFiles) -> (directory: AudienceDirectory, problems: [TableProblem]) {
        var loader = AudienceLoader(options: options, files: files)
        for source in sources { loader.add(source) }
        return loader.finish()
    }

    /// The reader `load` uses when none is given: StormCore reads no files itself.
    public static func noFiles(_ path: String) -> Result<[UInt8], TableReadError> {
        .failure(TableReadError("cannot open \(path): no file reader given (StormCore reads no files)"))
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

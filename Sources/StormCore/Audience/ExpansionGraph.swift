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

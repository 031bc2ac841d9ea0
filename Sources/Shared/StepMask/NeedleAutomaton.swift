/// A set of byte strings found all at once in one pass over a text (Aho–Corasick): the cost of
/// a scan is linear in the text whatever the number of needles, and building is linear in their
/// total length.
///
/// Immutable once built, so streams share it across threads.
final class NeedleAutomaton: Sendable {
    /// The needles it was built from (kept to build a bigger automaton from two).
    let needles: [[UInt8]]
    let maxLength: Int
    /// The root's transitions, one per byte (0: stay at the root).
    private let rootNext: [Int32]
    /// The other nodes' transitions: node `n`'s are `edgeBytes[edgeStart[n]..<edgeStart[n + 1]]`, sorted.
    private let edgeStart: [Int32]
    private let edgeBytes: [UInt8]
    private let edgeTargets: [Int32]
    /// The node of the longest proper suffix of a node's string that is also in the trie.
    private let fail: [Int32]
    /// The length of the longest needle that ends a node's string (0: none does).
    private let longestMatch: [Int32]
    /// A node's depth: how many of the last bytes scanned could still begin a needle.
    private let depth: [Int32]

    init(_ needles: [[UInt8]]) {
        self.needles = needles
        // The trie from the needles in sorted order: each shares a prefix with the one before, so a node's
        // children are made in byte order and nothing is searched. Nodes are numbered as they are made.
        let sorted = needles.filter { !$0.isEmpty }.sorted { $0.lexicographicallyPrecedes($1) }
        var parentByte: [(parent: Int32, byte: UInt8)] = [(0, 0)]
        var terminal: [Bool] = [false]
        var depth: [Int32] = [0]
        var path: [Int32] = [0]          // the nodes along the previous needle, root first
        var previous: [UInt8] = []
        var maxLength = 0
        for n in sorted {
            maxLength = max(maxLength, n.count)
            var common = 0
            while common < n.count && common < previous.count && n[common] == previous[common] { common += 1 }
            path.removeSubrange((common + 1)...)
            for b in n[common...] {
                parentByte.append((path.last!, b))
                terminal.append(false)
                depth.append(Int32(path.count))
                path.append(Int32(parentByte.count - 1))
            }
            terminal[Int(path.last!)] = true
            previous = n
        }
        let count = parentByte.count
        self.maxLength = maxLength
        self.depth = depth
        // Transitions in compressed rows: node n's children are edgeBytes[edgeStart[n]..<edgeStart[n + 1]], sorted
        // (children were made in byte order, and are placed in the order they were made).
        var edgeStart = [Int32](repeating: 0, count: count + 1)
        for v in 1..<max(count, 1) where v < count { edgeStart[Int(parentByte[v].parent) + 1] += 1 }
        for n in 0..<count { edgeStart[n + 1] += edgeStart[n] }
        var fill = edgeStart
        var edgeBytes = [UInt8](repeating: 0, count: max(count - 1, 0))
        var edgeTargets = [Int32](repeating: 0, count: max(count - 1, 0))
        var rootNext = [Int32](repeating: 0, count: 256)
        for v in 1..<max(count, 1) where v < count {
            let (p, b) = parentByte[v]
            let k = Int(fill[Int(p)]); fill[Int(p)] += 1
            edgeBytes[k] = b; edgeTargets[k] = Int32(v)
            if p == 0 { rootNext[Int(b)] = Int32(v) }
        }
        self.rootNext = rootNext
        self.edgeStart = edgeStart
        self.edgeBytes = edgeBytes
        self.edgeTargets = edgeTargets

        // Failure links and matches, breadth first: a node's links depend only on shallower nodes'.
        var fail = [Int32](repeating: 0, count: count)
        var longest = [Int32](repeating: 0, count: count)
        var queue: [Int32] = []
        queue.reserveCapacity(count)
        for k in Int(edgeStart[0])..<Int(edgeStart[1]) {
            let c = edgeTargets[k]
            queue.append(c)
            longest[Int(c)] = terminal[Int(c)] ? depth[Int(c)] : 0
        }
        var head = 0
        while head < queue.count {
            let u = Int(queue[head]); head += 1
            for k in Int(edgeStart[u])..<Int(edgeStart[u + 1]) {
                let b = edgeBytes[k], v = Int(edgeTargets[k])
                var f = fail[u]
                var target: Int32 = 0
                while true {
                    if f == 0 { target = rootNext[Int(b)]; break }
                    if let t = Self.edge(Int(f), b, edgeStart, edgeBytes, edgeTargets) { target = t; break }
                    f = fail[Int(f)]
                }
                fail[v] = target
                longest[v] = terminal[v] ? depth[v] : longest[Int(target)]
                queue.append(Int32(v))
            }
        }
        self.fail = fail
        self.longestMatch = longest
    }

    private static func edge(_ node: Int, _ b: UInt8, _ start: [Int32], _ bytes: [UInt8], _ targets: [Int32]) -> Int32? {
        var lo = Int(start[node]), hi = Int(start[node + 1])
        while lo < hi {
            let mid = (lo + hi) / 2
            if bytes[mid] == b { return targets[mid] }
            if bytes[mid] < b { lo = mid + 1 } else { hi = mid }
        }
        return nil
    }

    /// The state after `state` reads `b`.
    @inline(__always)
    func step(_ state: Int32, _ b: UInt8) -> Int32 {
        var s = state
        while true {
            if s == 0 { return rootNext[Int(b)] }
            if let t = Self.edge(Int(s), b, edgeStart, edgeBytes, edgeTargets) { return t }
            s = fail[Int(s)]
        }
    }

    /// The length of the longest needle that ends where `state` was reached (0: none).
    @inline(__always) func match(_ state: Int32) -> Int { Int(longestMatch[Int(state)]) }

    /// How many of the last bytes read could still be the beginning of a needle.
    @inline(__always) func pending(_ state: Int32) -> Int { Int(depth[Int(state)]) }
}

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
        // The trie, with growable transition lists.
        var children: [[(UInt8, Int32)]] = [[]]
        var terminal: [Bool] = [false]
        var depth: [Int32] = [0]
        var maxLength = 0
        for n in needles where !n.isEmpty {
            maxLength = max(maxLength, n.count)
            var node = 0
            for b in n {
                if let next = children[node].first(where: { $0.0 == b })?.1 {
                    node = Int(next)
                } else {
                    children.append([])
                    terminal.append(false)
                    depth.append(depth[node] + 1)
                    let next = Int32(children.count - 1)
                    children[node].append((b, next))
                    node = Int(next)
                }
            }
            terminal[node] = true
        }
        self.maxLength = maxLength
        self.depth = depth
        var rootNext = [Int32](repeating: 0, count: 256)
        for (b, c) in children[0] { rootNext[Int(b)] = c }
        var edgeStart = [Int32](repeating: 0, count: children.count + 1)
        var edgeBytes: [UInt8] = [], edgeTargets: [Int32] = []
        edgeBytes.reserveCapacity(children.count)
        edgeTargets.reserveCapacity(children.count)
        for (n, list) in children.enumerated() {
            edgeStart[n] = Int32(edgeBytes.count)
            if n == 0 { continue }
            for (b, c) in list.sorted(by: { $0.0 < $1.0 }) { edgeBytes.append(b); edgeTargets.append(c) }
        }
        edgeStart[children.count] = Int32(edgeBytes.count)
        self.rootNext = rootNext
        self.edgeStart = edgeStart
        self.edgeBytes = edgeBytes
        self.edgeTargets = edgeTargets

        // Failure links and matches, breadth first: a node's links depend only on shallower nodes'.
        var fail = [Int32](repeating: 0, count: children.count)
        var longest = [Int32](repeating: 0, count: children.count)
        var queue: [Int32] = []
        queue.reserveCapacity(children.count)
        for (_, c) in children[0] {
            queue.append(c)
            longest[Int(c)] = terminal[Int(c)] ? depth[Int(c)] : 0
        }
        var head = 0
        while head < queue.count {
            let u = Int(queue[head]); head += 1
            for (b, v) in children[u] {
                var f = fail[u]
                var target: Int32 = 0
                while true {
                    if f == 0 { target = rootNext[Int(b)]; break }
                    if let t = Self.edge(Int(f), b, edgeStart, edgeBytes, edgeTargets) { target = t; break }
                    f = fail[Int(f)]
                }
                fail[Int(v)] = target
                longest[Int(v)] = terminal[Int(v)] ? depth[Int(v)] : longest[Int(target)]
                queue.append(v)
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

/// Masks a byte stream that arrives in chunks (a pipe, a child's output).
///
/// It never masks chunk by chunk: the bytes that could still be the beginning of a value
/// (as far as the automata have read) are held back until enough of the stream has arrived
/// to tell, so a secret split across two reads is still masked. Everything before them comes
/// out at once: after a newline nothing is held back unless what follows it could begin a
/// multi-line value (only those span lines).
public struct MaskStream: Sendable {
    private let masker: Masker
    /// Bytes read but not passed on yet.
    private var buffer: [UInt8] = []
    /// The parts of `buffer` a match covers: sorted, disjoint, not touching (start, end exclusive).
    private var cover: [(start: Int, end: Int)] = []
    /// Each automaton's state after the last byte of `buffer`.
    private var states: [Int32] = []
    private var generation = -1
    /// Whether the last byte passed on was masked (a run of masked bytes is one `***`).
    private var inRun = false

    public init(_ masker: Masker) { self.masker = masker }

    /// Adds bytes; returns the masked bytes that are now safe to pass on.
    public mutating func feed(_ bytes: [UInt8]) -> [UInt8] { feed(bytes, using: masker.needles) }

    /// At the end of the stream: the rest, masked.
    public mutating func finish() -> [UInt8] { finish(using: masker.needles) }

    mutating func feed(_ bytes: [UInt8], using set: Needles) -> [UInt8] {
        if set.isEmpty && buffer.isEmpty && cover.isEmpty { return bytes }
        if set.generation != generation {
            // Values were added: read what is held back again with the new automata.
            generation = set.generation
            states = [Int32](repeating: 0, count: set.automata.count)
            let earlier = cover
            cover = []
            scan(from: 0, set)
            for c in earlier { addCover(c.start, c.end, ordered: false) }
        }
        let from = buffer.count
        buffer += bytes
        scan(from: from, set)
        var hold = 0
        for (k, a) in set.automata.enumerated() { hold = max(hold, a.pending(states[k])) }
        return take(buffer.count - hold)
    }

    mutating func finish(using set: Needles) -> [UInt8] {
        // Values added since the last chunk: read what is held back with them first (and keep what that passes on).
        let passed = set.generation != generation ? feed([], using: set) : []
        return passed + take(buffer.count)
    }

    private mutating func scan(from start: Int, _ set: Needles) {
        guard start < buffer.count, !set.automata.isEmpty else { return }
        if set.automata.count == 1, let a = set.automata.first {
            var s = states[0]
            for i in start..<buffer.count {
                s = a.step(s, buffer[i])
                let n = a.match(s)
                if n > 0 { addCover(i + 1 - n, i + 1, ordered: true) }
            }
            states[0] = s
            return
        }
        for i in start..<buffer.count {
            var longest = 0
            for (k, a) in set.automata.enumerated() {
                states[k] = a.step(states[k], buffer[i])
                longest = max(longest, a.match(states[k]))
            }
            if longest > 0 { addCover(i + 1 - longest, i + 1, ordered: true) }
        }
    }

    /// Adds a covered range. `ordered`: no range added so far ends after this one.
    private mutating func addCover(_ s: Int, _ e: Int, ordered: Bool) {
        var s = s, e = e
        if ordered {
            while let last = cover.last, last.end >= s {
                s = min(s, last.start); e = max(e, last.end)
                cover.removeLast()
            }
            cover.append((s, e))
            return
        }
        var merged: [(start: Int, end: Int)] = []
        merged.reserveCapacity(cover.count + 1)
        var placed = false
        for c in cover {
            if c.end < s { merged.append(c) } else if e < c.start {
                if !placed { merged.append((s, e)); placed = true }
                merged.append(c)
            } else { s = min(s, c.start); e = max(e, c.end) }
        }
        if !placed { merged.append((s, e)) }
        cover = merged
    }

    private mutating func take(_ limit: Int) -> [UInt8] {
        guard limit > 0 else { return [] }
        var out: [UInt8] = []
        out.reserveCapacity(limit)
        var i = 0
        var rest: [(start: Int, end: Int)] = []
        for c in cover {
            if c.start >= limit { rest.append((c.start - limit, c.end - limit)); continue }
            if c.start > i { out += buffer[i..<c.start]; inRun = false }
            if !inRun { out += Masker.replacement; inRun = true }
            i = min(c.end, limit)
            if c.end > limit { rest.append((0, c.end - limit)) }
        }
        if i < limit { out += buffer[i..<limit]; inRun = false }
        buffer.removeFirst(limit)
        cover = rest
        return out
    }
}

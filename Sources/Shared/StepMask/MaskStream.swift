/// Masks a byte stream that arrives in chunks (a pipe, a child's output).
///
/// It never masks chunk by chunk: bytes that could be the start of a value are
/// held back until enough of the stream has arrived to tell, so a secret split
/// across two reads is still masked. Whole lines come out as soon as they end:
/// nothing is held back past a newline unless what follows it is the start of
/// a multi-line value (only those span lines).
public struct MaskStream: Sendable {
    private let masker: Masker
    private var buffer: [UInt8] = []
    /// How much of `buffer`'s start is covered by a match that began in an earlier chunk.
    private var covered = 0
    private var inRun = false

    public init(_ masker: Masker) { self.masker = masker }

    /// Adds bytes; returns the masked bytes that are now safe to pass on.
    public mutating func feed(_ bytes: [UInt8]) -> [UInt8] { feed(bytes, using: masker.needles) }

    /// At the end of the stream: the rest, masked.
    public mutating func finish() -> [UInt8] { finish(using: masker.needles) }

    mutating func feed(_ bytes: [UInt8], using set: Needles) -> [UInt8] {
        if set.isEmpty && buffer.isEmpty && covered == 0 { return bytes }
        buffer += bytes
        var limit = buffer.count - max(0, set.maxLength - 1)
        if let nl = buffer.lastIndex(of: 0x0A), nl + 1 > limit {
            // A one-line form starting before the newline ends before it; a multi-line value
            // starting there may not have arrived in full yet.
            var cut = nl + 1
            if !set.multiLine.isEmpty, let q = (max(limit, 0)...nl).first(where: { set.startsMultiLine(in: buffer, at: $0) }) { cut = q }
            limit = max(limit, cut)
        }
        return take(limit, set)
    }

    mutating func finish(using set: Needles) -> [UInt8] { take(buffer.count, set) }

    private mutating func take(_ limit: Int, _ set: Needles) -> [UInt8] {
        guard limit > 0 else { return [] }
        var out: [UInt8] = []
        out.reserveCapacity(limit)
        var end = covered
        for i in 0..<limit {
            if !set.isEmpty { end = max(end, set.matchEnd(in: buffer, at: i)) }
            if i < end {
                if !inRun { out += Masker.replacement; inRun = true }
            } else {
                inRun = false
                out.append(buffer[i])
            }
        }
        buffer.removeFirst(limit)
        covered = max(0, end - limit)
        return out
    }
}

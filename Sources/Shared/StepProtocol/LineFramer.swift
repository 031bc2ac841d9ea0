#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a byte stream into protocol lines.
///
/// Blank lines and a trailing `\r` are dropped. A line longer than `maxLine`
/// bytes is reported as `.tooLong` once, and its bytes are discarded up to its end,
/// so a hostile peer cannot make the reader buffer without bound.
public struct LineFramer: Sendable {
    public enum Item: Sendable, Hashable {
        case line([UInt8])
        case tooLong(length: Int)
    }

    /// 8 MiB, protocol v1's limit.
    public static let defaultMaxLine = 8 * 1024 * 1024

    public let maxLine: Int
    private var buffer: [UInt8] = []
    private var scanned = 0
    private var discarding = false
    private var discarded = 0

    public init(maxLine: Int = LineFramer.defaultMaxLine) { self.maxLine = maxLine }

    /// Bytes held for a line that has not ended yet.
    public var pendingCount: Int { buffer.count }

    public mutating func append<C: Collection>(_ bytes: C) -> [Item] where C.Element == UInt8 {
        buffer.append(contentsOf: bytes)
        var items: [Item] = []
        var start = 0
        // Each newline found with memchr rather than byte by byte.
        var newlines: [Int] = []
        buffer.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress else { return }
            var k = scanned
            while k < b.count, let hit = memchr(base + k, 0x0A, b.count - k) {
                let at = UnsafeRawPointer(hit).assumingMemoryBound(to: UInt8.self) - base
                newlines.append(at)
                k = at + 1
            }
        }
        for i in newlines {
            if discarding {
                discarding = false
                discarded = 0
            } else {
                var end = i
                if end > start, buffer[end - 1] == 0x0D { end -= 1 }
                if end - start > maxLine {
                    items.append(.tooLong(length: end - start))
                } else if !isBlank(start, end) {
                    items.append(.line(Array(buffer[start..<end])))
                }
            }
            start = i + 1
        }
        if start > 0 { buffer.removeFirst(start) }
        scanned = buffer.count
        if !discarding && buffer.count > maxLine {
            items.append(.tooLong(length: buffer.count))
            discarding = true
        }
        if discarding {
            discarded += buffer.count
            buffer.removeAll(keepingCapacity: true)
            scanned = 0
        }
        return items
    }

    /// Called at end of input: a last line without `\n` still counts.
    public mutating func finish() -> [Item] {
        defer { buffer = []; scanned = 0; discarding = false }
        if discarding || buffer.isEmpty { return [] }
        var end = buffer.count
        if buffer[end - 1] == 0x0D { end -= 1 }
        if isBlank(0, end) { return [] }
        return [.line(Array(buffer[0..<end]))]
    }

    private func isBlank(_ s: Int, _ e: Int) -> Bool {
        var k = s
        while k < e {
            let b = buffer[k]
            if b != 0x20 && b != 0x09 && b != 0x0D { return false }
            k += 1
        }
        return true
    }
}

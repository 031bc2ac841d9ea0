/// The last lines of a stream, bounded in count and in bytes per line, so a
/// plugin that floods stderr cannot grow the host's memory.
public struct TailBuffer: Sendable {
    public let maxLines: Int
    public let maxLineBytes: Int
    private var lines: [String] = []
    private var head = 0
    private var partial: [UInt8] = []
    private var partialOverflow = false

    public init(maxLines: Int = 40, maxLineBytes: Int = 2048) {
        self.maxLines = maxLines
        self.maxLineBytes = maxLineBytes
    }

    /// Adds raw bytes; returns the complete lines they finished.
    public mutating func append(_ bytes: [UInt8]) -> [String] {
        var done: [String] = []
        for b in bytes {
            if b == 0x0A {
                done.append(finishLine())
            } else if partial.count < maxLineBytes {
                partial.append(b)
            } else {
                partialOverflow = true
            }
        }
        return done
    }

    /// Adds text that is whole lines (a log message, which may hold several).
    public mutating func add(lines text: String) {
        _ = append(Array(text.utf8))
        _ = finish()
    }

    /// At end of file: the last line without a newline.
    public mutating func finish() -> [String] {
        partial.isEmpty && !partialOverflow ? [] : [finishLine()]
    }

    private mutating func finishLine() -> String {
        if partial.last == 0x0D { partial.removeLast() }
        var line = String(decoding: partial, as: UTF8.self)
        if partialOverflow { line += " …(line truncated)" }
        partial.removeAll(keepingCapacity: true)
        partialOverflow = false
        if lines.count < maxLines { lines.append(line) } else { lines[head] = line; head = (head + 1) % maxLines }
        return line
    }

    /// The kept lines, oldest first.
    public var lastLines: [String] { Array(lines[head...] + lines[..<head]) }
}

import Foundation
import StepProtocol

/// Replaces secret values with `***` in text the host (or a plugin) prints or stores.
///
/// Each value is masked in every form it is likely to take in output: the
/// exact value; each line of a multi-line value; JSON-escaped; URL-encoded
/// (strict, unreserved-safe and form encodings); base64 and base64url in all
/// three alignments, so a value inside `base64(user:password)` is caught.
/// Values of 3 characters or fewer, and forms that short, are not masked: they
/// would hide ordinary text.
///
/// Only a multi-line value itself contains a newline; every other form is
/// within one line. So a stream can be masked up to its last newline without
/// waiting, unless what follows could be the start of a multi-line value: see
/// `MaskStream`. Masking a whole string and masking it as a stream split
/// anywhere give the same output.
public final class Masker: @unchecked Sendable {
    public static let minimumLength = 4
    public static let replacement: [UInt8] = Array("***".utf8)

    private let lock = NSLock()
    private var values = Set<String>()
    private var current = Needles()

    public init() {}

    /// Adds a value; returns false when it is too short to mask.
    @discardableResult
    public func add(_ value: String) -> Bool {
        guard value.count >= Masker.minimumLength else { return false }
        lock.lock()
        defer { lock.unlock() }
        guard values.insert(value).inserted else { return true }
        var next = current
        for form in MaskForms.of(value) { next.insert(Array(form.utf8)) }
        current = next
        return true
    }

    public var isEmpty: Bool { lock.withLock { current.isEmpty } }

    /// The needles as they are now; a stream takes one per chunk.
    var needles: Needles { lock.withLock { current } }

    public func mask(_ text: String) -> String {
        let set = needles
        guard !set.isEmpty else { return text }
        var stream = MaskStream(self)
        let bytes = stream.feed(Array(text.utf8), using: set) + stream.finish(using: set)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Masks every string inside a JSON value, object keys included.
    public func mask(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let s): return .string(mask(s))
        case .array(let a): return .array(a.map(mask))
        case .object(let o):
            var out: [String: JSONValue] = [:]
            for (k, v) in o { out[mask(k)] = mask(v) }
            return .object(out)
        default: return value
        }
    }
}

/// The byte strings to mask, indexed by first byte, longest first.
struct Needles: Sendable {
    /// For each byte value, the needles that start with it (a flat table: one lookup per byte scanned).
    private(set) var byFirst = [[[UInt8]]](repeating: [], count: 256)
    private(set) var maxLength = 0
    /// The needles that span lines (multi-line values, whole).
    private(set) var multiLine: [[UInt8]] = []
    var isEmpty: Bool { maxLength == 0 }

    mutating func insert(_ n: [UInt8]) {
        guard let f = n.first, !byFirst[Int(f)].contains(n) else { return }
        byFirst[Int(f)].append(n)
        byFirst[Int(f)].sort { $0.count > $1.count }
        maxLength = max(maxLength, n.count)
        if n.contains(0x0A) { multiLine.append(n) }
    }

    /// Whether `b[i...]` is the beginning of a multi-line needle (too short to tell yet).
    func startsMultiLine(in b: [UInt8], at i: Int) -> Bool {
        for n in multiLine where b.count - i < n.count {
            var k = 0
            while i + k < b.count && b[i + k] == n[k] { k += 1 }
            if i + k == b.count { return true }
        }
        return false
    }

    /// The end of the longest needle that occurs at `i`, or `i` when none does.
    func matchEnd(in b: [UInt8], at i: Int) -> Int {
        let list = byFirst[Int(b[i])]
        if list.isEmpty { return i }
        for n in list where i + n.count <= b.count {
            var k = 1
            while k < n.count && b[i + k] == n[k] { k += 1 }
            if k == n.count { return i + n.count }
        }
        return i
    }
}

import Foundation
import StepProtocol

/// Replaces secret values with `***` in text the host (or a plugin) prints or stores.
///
/// Each value is masked in every form it is likely to take in output: the
/// exact value; each line of a multi-line value; JSON-escaped (also with `<`,
/// `>`, `&` and non-ASCII as `\u` escapes); URL-encoded (strict,
/// unreserved-safe and form encodings); base64 and base64url in all three
/// alignments, so a value inside `base64(user:password)` is caught. Values of 3
/// characters or fewer, and forms that short, are not masked: they would hide
/// ordinary text.
///
/// Masking is one pass over the text for all values (an Aho–Corasick automaton), so its
/// cost is linear in the text whatever the number of values. Values added one by one are
/// compiled lazily into a few automata whose sizes halve (a binary counter): each form is
/// rebuilt O(log n) times, so adding n values costs O(n log n) in all, never O(n²).
///
/// Only a multi-line value itself contains a newline; every other form is
/// within one line. A stream is held back only by what could still begin a
/// value: see `MaskStream`. Masking a whole string and masking it as a stream
/// split anywhere give the same output.
public final class Masker: @unchecked Sendable {
    public static let minimumLength = 4
    public static let replacement: [UInt8] = Array("***".utf8)

    private let lock = NSLock()
    private var values = Set<String>()
    /// Forms added since the automata were last built.
    private var pending: [[UInt8]] = []
    private var automata: [NeedleAutomaton] = []
    private var generation = 0

    public init() {}

    /// Adds a value; returns false when it is too short to mask.
    @discardableResult
    public func add(_ value: String) -> Bool {
        guard value.count >= Masker.minimumLength else { return false }
        let forms = MaskForms.of(value).map { Array($0.utf8) }
        lock.lock()
        defer { lock.unlock() }
        guard values.insert(value).inserted else { return true }
        pending += forms
        generation += 1
        return true
    }

    /// How many values it masks.
    public var count: Int { lock.withLock { values.count } }

    public var isEmpty: Bool { lock.withLock { values.isEmpty } }

    /// The automata as they are now; a stream takes one snapshot per chunk.
    var needles: Needles {
        lock.withLock {
            if !pending.isEmpty {
                var built = NeedleAutomaton(pending)
                pending = []
                while let last = automata.last, last.needles.count <= built.needles.count {
                    built = NeedleAutomaton(last.needles + built.needles)
                    automata.removeLast()
                }
                automata.append(built)
            }
            return Needles(automata: automata, generation: generation)
        }
    }

    /// Masks every value in `text`, then any `user:password@` of a URL (values first: a value that holds a
    /// URL is masked whole, never shown in part around the `***@`).
    public func mask(_ text: String) -> String { snapshot().mask(text) }

    /// The values as they are now, to mask the many texts of one thing (an event) under one look at the
    /// set, not one per text.
    public func snapshot() -> Snapshot { Snapshot(masker: self, needles: needles) }

    public struct Snapshot: Sendable {
        let masker: Masker
        let needles: Needles

        /// As `Masker.mask`, with the values of the snapshot.
        public func mask(_ text: String) -> String {
            guard !needles.isEmpty else { return Masker.redactingURLCredentials(text) }
            var stream = MaskStream(masker)
            let bytes = stream.feed(Array(text.utf8), using: needles) + stream.finish(using: needles)
            return Masker.redactingURLCredentials(String(decoding: bytes, as: UTF8.self))
        }

        /// Every string inside a JSON value, object keys included.
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

    /// Masks `text`, then keeps at most `limit` characters of it (with `…` when cut): masking
    /// comes first, so a cut never leaves the beginning of a secret showing.
    public func mask(_ text: String, keeping limit: Int) -> String {
        let masked = mask(text)
        return masked.count > limit ? String(masked.prefix(limit)) + "…" : masked
    }

    /// `scheme://user:password@host` → `scheme://***@host`, wherever a URL with a password appears in `text`.
    public static func redactingURLCredentials(_ text: String) -> String {
        guard text.contains("://") else { return text }
        var out = Substring("")
        var rest = Substring(text)
        while let r = rest.range(of: "://") {
            out += rest[..<r.upperBound]
            rest = rest[r.upperBound...]
            let userinfo = rest.prefix { !"/?#@ \t\r\n\"'<>`".contains($0) }
            if rest.dropFirst(userinfo.count).first == "@", userinfo.contains(":") {
                out += "***"
                rest = rest.dropFirst(userinfo.count)
            }
        }
        return String(out + rest)
    }

    /// Masks every string inside a JSON value, object keys included.
    public func mask(_ value: JSONValue) -> JSONValue { snapshot().mask(value) }
}

/// A snapshot of the values to mask: the automata, and which version of the set they are.
struct Needles: Sendable {
    var automata: [NeedleAutomaton] = []
    var generation = 0
    var isEmpty: Bool { automata.isEmpty }
}

import StepProcess
import Foundation
import StepProtocol

/// Replaces secret values with `***` in text the host prints or stores.
///
/// Each value is also masked line by line (for multi-line values) and in its
/// JSON-escaped and URL-encoded forms. Values of 3 characters or fewer are not
/// masked: they would hide ordinary text.
public final class Masker: @unchecked Sendable {
    public static let minimumLength = 4
    private let lock = NSLock()
    private var needles: [String] = []
    private var values = Set<String>()

    public init() {}

    /// Adds a value; returns false when it is too short to mask.
    @discardableResult
    public func add(_ value: String) -> Bool {
        guard value.count >= Masker.minimumLength else { return false }
        lock.lock()
        defer { lock.unlock() }
        guard values.insert(value).inserted else { return true }
        var forms: Set<String> = [value]
        for line in value.split(whereSeparator: \.isNewline) where line.count >= Masker.minimumLength { forms.insert(String(line)) }
        let json = JSONValue.string(value).encoded()
        forms.insert(String(json.dropFirst().dropLast()))
        if let url = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) { forms.insert(url) }
        for f in forms where f.count >= Masker.minimumLength && !needles.contains(f) { needles.append(f) }
        needles.sort { $0.utf8.count > $1.utf8.count }
        return true
    }

    public var isEmpty: Bool { lock.withLock { needles.isEmpty } }

    public func mask(_ text: String) -> String {
        let list = lock.withLock { needles }
        guard !list.isEmpty else { return text }
        var out = text
        for n in list where out.contains(n) { out = out.replacingOccurrences(of: n, with: "***") }
        return out
    }

    /// Masks every string inside a JSON value.
    public func mask(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let s): return .string(mask(s))
        case .array(let a): return .array(a.map(mask))
        case .object(let o): return .object(o.mapValues(mask))
        default: return value
        }
    }
}

import StepProtocol

/// The instance keys of a for-each list, one rule for the scheduler and the planners: a string
/// item is its key, a whole number its digits, an object its `name`; if one item has none, every
/// instance is keyed by its index.
public enum ForEachKeys {
    public static func of(_ items: [JSONValue]) -> [String] {
        var keys: [String] = []
        keys.reserveCapacity(items.count)
        for item in items {
            switch item {
            case .string(let k): keys.append(k)
            case .number: if let n = item.intValue { keys.append(String(n)) } else { return items.indices.map(String.init) }
            case .object(let o): if let k = o["name"]?.stringValue { keys.append(k) } else { return items.indices.map(String.init) }
            default: return items.indices.map(String.init)
            }
        }
        return keys
    }

    /// Why the keys cannot name instances (duplicates, or a character `--only` and `ID[KEY]` reserve); nil when they can.
    public static func problem(_ keys: [String]) -> String? {
        var seen: [String: Int] = [:]
        for k in keys { seen[k, default: 0] += 1 }
        let dups = seen.filter { $0.value > 1 }.keys.sorted()
        if !dups.isEmpty { return "for-each keys must be unique; duplicated: \(dups.joined(separator: ", "))" }
        if let bad = keys.first(where: { $0.contains("[") || $0.contains("]") || $0.contains(",") || $0.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } }) {
            return "for-each key \(JSONValue.string(bad).encoded()) contains '[', ']', ',' or a control character"
        }
        return nil
    }
}

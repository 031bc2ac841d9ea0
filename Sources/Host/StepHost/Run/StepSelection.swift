import StepProtocol

/// `--only SEL` and `--until ID`: the steps, and for-each instances, a run may start.
///
/// SEL is a comma-separated list of `ID` (a step, all of its instances), `ID[KEY]` (one instance)
/// or `ID[KEY1,KEY2]`; for-each keys never hold `,`, `[`, `]` or control characters.
public struct StepSelection: Sendable, Equatable {
    /// What of one step is selected.
    public enum Part: Sendable, Equatable {
        case whole
        case keys(Set<String>)
    }

    /// Step id → what of it is selected; `order` keeps the ids as given, for messages.
    public private(set) var parts: [String: Part] = [:]
    public private(set) var order: [String] = []

    public init() {}

    /// The reason of a step a selection left out.
    public static let notSelected = "not selected"

    /// Parses `--only`'s value.
    public init(parsing text: String) throws(RunError) {
        var items: [String] = []
        var current = ""
        var inBrackets = false
        for c in text {
            if c == "[" {
                if inBrackets { throw .usage("--only \(text): '[' inside '[…]'") }
                inBrackets = true
            } else if c == "]" {
                if !inBrackets { throw .usage("--only \(text): ']' without '['") }
                inBrackets = false
            } else if c == "," && !inBrackets {
                items.append(current)
                current = ""
                continue
            }
            current.append(c)
        }
        if inBrackets { throw .usage("--only \(text): '[' without ']'") }
        items.append(current)
        for raw in items {
            let item = raw.trimmingCharacters(in: .whitespaces)
            if item.isEmpty { throw .usage("--only \(text): an empty item (give ID, ID[KEY] or ID[KEY1,KEY2], separated by commas)") }
            guard let open = item.firstIndex(of: "[") else { add(item, .whole); continue }
            guard item.hasSuffix("]") else { throw .usage("--only \(text): '\(item)' goes on after ']'") }
            let id = String(item[..<open])
            let keys = item[item.index(after: open)..<item.index(before: item.endIndex)]
                .split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if id.isEmpty { throw .usage("--only \(text): '\(item)' names no step before '['") }
            if keys.contains("") { throw .usage("--only \(text): '\(item)' has an empty key") }
            add(id, .keys(Set(keys)))
        }
    }

    /// Adds a step (whole wins over keys; keys add up).
    public mutating func add(_ id: String, _ part: Part) {
        switch (parts[id], part) {
        case (nil, _): parts[id] = part; order.append(id)
        case (.whole?, _), (_, .whole): parts[id] = .whole
        case (.keys(let a)?, .keys(let b)): parts[id] = .keys(a.union(b))
        }
    }

    public func contains(step id: String) -> Bool { parts[id] != nil }

    /// Whether an instance (key nil: a step without for-each) is selected.
    public func contains(step id: String, key: String?) -> Bool {
        switch parts[id] {
        case nil: return false
        case .whole?: return true
        case .keys(let k)?: return key.map(k.contains) ?? false
        }
    }

    /// The selection as `--only` writes it: `changes,build[a,b]`.
    public var text: String {
        order.map { id in
            if case .keys(let k)? = parts[id] { return "\(id)[\(k.sorted().joined(separator: ","))]" }
            return id
        }.joined(separator: ",")
    }
}

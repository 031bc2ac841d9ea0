import StepProtocol

/// `--only SEL` and `--until ID`: the steps, and for-each instances, a run may start (the CLI reads
/// the option's text into it).
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

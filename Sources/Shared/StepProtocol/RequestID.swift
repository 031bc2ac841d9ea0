/// A JSON-RPC request id: a number or a string.
public enum RequestID: Hashable, Sendable, CustomStringConvertible {
    case number(Int)
    case string(String)

    public init?(json: JSONValue) {
        switch json {
        case .string(let s): self = .string(s)
        case .number: if let n = json.intValue { self = .number(n) } else { return nil }
        default: return nil
        }
    }

    public var json: JSONValue {
        switch self {
        case .number(let n): return .int(n)
        case .string(let s): return .string(s)
        }
    }

    public var description: String {
        switch self {
        case .number(let n): return String(n)
        case .string(let s): return s
        }
    }
}

/// A JSON-RPC error code, with the codes protocol v1 uses.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let parseError = ErrorCode(rawValue: -32700)
    public static let invalidRequest = ErrorCode(rawValue: -32600)
    public static let methodNotFound = ErrorCode(rawValue: -32601)
    public static let invalidParams = ErrorCode(rawValue: -32602)
    public static let internalError = ErrorCode(rawValue: -32603)
    public static let stepFailed = ErrorCode(rawValue: -32000)
    public static let requestCancelled = ErrorCode(rawValue: -32800)

    public var description: String { String(rawValue) }
}

/// The `error` member of a JSON-RPC response.
public struct ResponseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String
    public var data: JSONValue?

    public init(code: ErrorCode, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    /// A step failure (-32000) with the optional members protocol v1 defines.
    public static func stepFailed(
        _ message: String, hint: String? = nil, retryable: Bool? = nil, exitCode: Int? = nil,
        outputs: [String: JSONValue]? = nil
    ) -> ResponseError {
        var d: [String: JSONValue] = [:]
        if let hint { d["hint"] = .string(hint) }
        if let retryable { d["retryable"] = .bool(retryable) }
        if let exitCode { d["exitCode"] = .int(exitCode) }
        if let outputs { d["outputs"] = .object(outputs) }
        return ResponseError(code: .stepFailed, message: message, data: d.isEmpty ? nil : .object(d))
    }

    /// An input the schema allowed but the step cannot use (-32602), with `data.errors` naming it.
    public static func invalidInput(_ path: String, _ message: String) -> ResponseError {
        ResponseError(code: .invalidParams, message: "\(path): \(message)", data: ["errors": [["path": .string(path), "message": .string(message)]]])
    }

    public static func cancelled() -> ResponseError {
        ResponseError(code: .requestCancelled, message: "Request cancelled")
    }

    public var hint: String? { data?["hint"]?.stringValue }
    public var retryable: Bool { data?["retryable"]?.boolValue ?? false }

    public var json: JSONValue {
        var o: [String: JSONValue] = ["code": .int(code.rawValue), "message": .string(message)]
        if let data { o["data"] = data }
        return .object(o)
    }

    public init?(json: JSONValue) {
        guard let code = json["code"]?.intValue, let message = json["message"]?.stringValue else { return nil }
        self.init(code: ErrorCode(rawValue: code), message: message, data: json["data"])
    }

    public var description: String { "\(message) (\(code))" }
}

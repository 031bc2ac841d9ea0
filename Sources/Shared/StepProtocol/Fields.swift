/// Typed access to the members of a JSON object, with paths in errors.
public struct Fields {
    public let value: JSONValue
    public let path: String

    public init(_ value: JSONValue, path: String = "params") throws(FieldError) {
        guard value.objectValue != nil else { throw FieldError(path: path, message: "expected an object, got \(value.typeName)") }
        self.value = value
        self.path = path
    }

    public func optional(_ key: String) -> JSONValue? {
        guard let v = value[key], !v.isNull else { return nil }
        return v
    }

    public func string(_ key: String) throws(FieldError) -> String {
        guard let s = try optionalString(key) else { throw FieldError(path: "\(path).\(key)", message: "required string is missing") }
        return s
    }

    public func optionalString(_ key: String) throws(FieldError) -> String? {
        guard let v = optional(key) else { return nil }
        guard let s = v.stringValue else { throw FieldError(path: "\(path).\(key)", message: "expected a string, got \(v.typeName)") }
        return s
    }

    public func int(_ key: String) throws(FieldError) -> Int {
        guard let n = try optionalInt(key) else { throw FieldError(path: "\(path).\(key)", message: "required integer is missing") }
        return n
    }

    public func optionalInt(_ key: String) throws(FieldError) -> Int? {
        guard let v = optional(key) else { return nil }
        guard let n = v.intValue else { throw FieldError(path: "\(path).\(key)", message: "expected an integer, got \(v.typeName)") }
        return n
    }

    public func optionalDouble(_ key: String) throws(FieldError) -> Double? {
        guard let v = optional(key) else { return nil }
        guard let n = v.doubleValue else { throw FieldError(path: "\(path).\(key)", message: "expected a number, got \(v.typeName)") }
        return n
    }

    public func optionalBool(_ key: String) throws(FieldError) -> Bool? {
        guard let v = optional(key) else { return nil }
        guard let b = v.boolValue else { throw FieldError(path: "\(path).\(key)", message: "expected a boolean, got \(v.typeName)") }
        return b
    }

    public func object(_ key: String) throws(FieldError) -> Fields {
        try Fields(value[key] ?? .null, path: "\(path).\(key)")
    }

    public func stringMap(_ key: String) throws(FieldError) -> [String: String] {
        guard let v = optional(key) else { return [:] }
        guard let o = v.objectValue else { throw FieldError(path: "\(path).\(key)", message: "expected an object, got \(v.typeName)") }
        var out: [String: String] = [:]
        for (k, e) in o {
            guard let s = e.stringValue else { throw FieldError(path: "\(path).\(key).\(k)", message: "expected a string, got \(e.typeName)") }
            out[k] = s
        }
        return out
    }

    public func requestID(_ key: String) throws(FieldError) -> RequestID {
        guard let v = value[key], let id = RequestID(json: v) else {
            throw FieldError(path: "\(path).\(key)", message: "expected a request id (string or integer)")
        }
        return id
    }
}

extension JSONValue {
    /// An object without its null members, for compact messages.
    public static func compactObject(_ members: [String: JSONValue?]) -> JSONValue {
        var o: [String: JSONValue] = [:]
        for (k, v) in members { if let v { o[k] = v } }
        return .object(o)
    }
}

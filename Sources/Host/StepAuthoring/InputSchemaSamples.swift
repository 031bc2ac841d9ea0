import StepProtocol

/// What `plugin check` reads from a step's input schema: whether it is a schema of the protocol's
/// subset, inputs it must accept (the minimal ones), and inputs it must refuse.
public enum InputSchemaSamples {
    static let types: Set<String> = ["object", "string", "number", "integer", "boolean", "array", "null"]

    /// Why `schema` is not a schema of the subset (type, properties, required, items, enum,
    /// additionalProperties, description, default); empty when it is.
    public static func problems(_ schema: JSONValue, at path: String = "inputs") -> [String] {
        guard let o = schema.objectValue else { return ["\(path) is \(schema.typeName), not a schema (an object)"] }
        var out: [String] = []
        if let t = o["type"] {
            let names = t.stringValue.map { [$0] } ?? t.arrayValue?.compactMap(\.stringValue) ?? []
            if names.isEmpty || names.contains(where: { !types.contains($0) }) { out.append("\(path).type \(t.encoded()) is not a JSON Schema type") }
        }
        if let p = o["properties"] {
            if let props = p.objectValue { for (k, v) in props.sorted(by: { $0.key < $1.key }) { out += problems(v, at: "\(path).properties.\(k)") } }
            else { out.append("\(path).properties is not an object") }
        }
        if let r = o["required"], r.arrayValue?.allSatisfy({ $0.stringValue != nil }) != true { out.append("\(path).required is not a list of names") }
        if let e = o["enum"], e.arrayValue == nil { out.append("\(path).enum is not a list") }
        if let i = o["items"] { out += problems(i, at: "\(path).items") }
        if let a = o["additionalProperties"], a.boolValue == nil { out += problems(a, at: "\(path).additionalProperties") }
        if let d = o["description"], d.stringValue == nil { out.append("\(path).description is not a string") }
        return out
    }

    /// Inputs the schema accepts with as little as possible: each required key with its default,
    /// its first enum value, or a plain value of its type.
    public static func minimal(_ schema: JSONValue?) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for k in schema?["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            out[k] = sample(schema?["properties"]?[k])
        }
        return out
    }

    static func sample(_ s: JSONValue?) -> JSONValue {
        if let d = s?["default"] { return d }
        if let e = s?["enum"]?.arrayValue?.first { return e }
        switch s?["type"]?.stringValue ?? s?["type"]?.arrayValue?.first?.stringValue {
        case "integer", "number": return 1
        case "boolean": return false
        case "array": return .array([])
        case "object": return .object(minimal(s))
        default: return "example"
        }
    }

    /// Inputs the schema refuses (a required key left out, an unknown key, a value of the wrong
    /// type), with what is wrong; nil when it refuses nothing.
    public static func refused(_ schema: JSONValue?) -> (inputs: [String: JSONValue], why: String)? {
        if let r = schema?["required"]?.arrayValue?.first?.stringValue { return ([:], "required input '\(r)' left out") }
        if schema?["additionalProperties"]?.boolValue == false { return (["stephost-check-unknown": true], "an input the schema does not have") }
        for (k, p) in (schema?["properties"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            switch p["type"]?.stringValue {
            case "string": return ([k: .array([1, 2])], "'\(k)' a list where the schema says string")
            case "integer", "number", "boolean", "array", "object": return ([k: .string("not-\(p["type"]?.stringValue ?? "")")], "'\(k)' a string where the schema says \(p["type"]?.stringValue ?? "")")
            default: continue
            }
        }
        return nil
    }
}

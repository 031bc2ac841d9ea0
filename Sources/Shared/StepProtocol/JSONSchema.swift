/// The JSON Schema subset protocol v1 uses for step inputs: `type`,
/// `properties`, `required`, `items`, `enum`, `additionalProperties`,
/// `description`, `default`. Other keywords are ignored.
public enum JSONSchema {
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        /// Dotted path of the value, such as `with.context` or `with.tags[1]`.
        public var path: String
        public var message: String
        public var description: String { "\(path): \(message)" }
        public var json: JSONValue { ["path": .string(path), "message": .string(message)] }
    }

    /// Checks `value` against `schema`.
    ///
    /// `isOpaque` marks values whose final form is not known yet (a string that
    /// holds an expression, or a null standing for an output a dry run could not
    /// know); they pass every type check.
    public static func validate(_ value: JSONValue, schema: JSONValue?, path: String,
                                isOpaque: (JSONValue) -> Bool = { _ in false }) -> [Problem] {
        var problems: [Problem] = []
        check(value, schema, path, isOpaque, &problems)
        return problems
    }

    /// The schema's `type` names, when it gives any.
    public static func types(of schema: JSONValue?) -> [String] {
        switch schema?["type"] {
        case .string(let t)?: return [t]
        case .array(let a)?: return a.compactMap(\.stringValue)
        default: return []
        }
    }

    /// The schema of property `key` of an object schema.
    public static func propertySchema(_ schema: JSONValue?, _ key: String) -> JSONValue? {
        if let p = schema?["properties"]?[key] { return p }
        if let a = schema?["additionalProperties"], a.objectValue != nil { return a }
        return nil
    }

    private static func check(_ value: JSONValue, _ schema: JSONValue?, _ path: String,
                              _ isOpaque: (JSONValue) -> Bool, _ problems: inout [Problem]) {
        guard let schema, schema.objectValue != nil else { return }
        if isOpaque(value) { return }
        let types = types(of: schema)
        if !types.isEmpty && !types.contains(where: { matches(value, $0) }) {
            problems.append(Problem(path: path, message: "expected \(types.joined(separator: " or ")), got \(describe(value))"))
            return
        }
        if let allowed = schema["enum"]?.arrayValue, !allowed.contains(value) {
            let list = allowed.map { $0.encoded() }.joined(separator: ", ")
            problems.append(Problem(path: path, message: "must be one of \(list), got \(value.encoded())"))
        }
        switch value {
        case .object(let o):
            for r in schema["required"]?.arrayValue ?? [] {
                if let name = r.stringValue, o[name] == nil {
                    problems.append(Problem(path: path, message: "required input '\(name)' is missing"))
                }
            }
            let props = schema["properties"]?.objectValue ?? [:]
            for key in o.keys.sorted() {
                let child = "\(path).\(key)"
                if let p = props[key] {
                    check(o[key]!, p, child, isOpaque, &problems)
                } else {
                    switch schema["additionalProperties"] {
                    case .bool(false)?:
                        let known = props.keys.sorted().joined(separator: ", ")
                        problems.append(Problem(path: child, message: "unknown input '\(key)'" + (known.isEmpty ? "" : " (known: \(known))")))
                    case .object?: check(o[key]!, schema["additionalProperties"], child, isOpaque, &problems)
                    default: break
                    }
                }
            }
        case .array(let a):
            if let items = schema["items"] {
                for (i, v) in a.enumerated() { check(v, items, "\(path)[\(i)]", isOpaque, &problems) }
            }
        default: break
        }
    }

    static func matches(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array), ("object", .object):
            return true
        case ("integer", .number(let n)): return n.rounded() == n
        default: return false
        }
    }

    private static func describe(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return "string \(JSONValue.string(s.count > 40 ? String(s.prefix(40)) + "…" : s).encoded())"
        case .number, .bool, .null: return "\(v.typeName) \(v.encoded())"
        default: return v.typeName
        }
    }
}

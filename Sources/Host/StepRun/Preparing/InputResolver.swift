import StepManifest
import StepProtocol
import StepYAML

/// Turns a step's `with:` into the JSON a plugin receives.
///
/// Where the schema says `string`, a plain YAML scalar passes its source text
/// (`1.10` stays `"1.10"`). Strings with `${{ }}` are evaluated when a context
/// is given, and kept as written (opaque to schema checks) when not.
public enum InputResolver {
    /// The step's inputs, from its compiled `with:` (see `InputTemplate`).
    public static func resolve(_ inputs: InputTemplate?, schema: JSONValue?, context: EvaluationContext?) throws(ExpressionError) -> [String: JSONValue] {
        guard let inputs, case .mapping = inputs else { return [:] }
        return try value(inputs, schema, context).objectValue ?? [:]
    }

    /// One input. With `keepUnknown` (for `plan`), an expression that reads a
    /// context `ctx` does not have, or fails to evaluate, stays as written.
    static func value(_ t: InputTemplate, _ schema: JSONValue?, _ ctx: EvaluationContext?,
                      keepUnknown: Bool = false) throws(ExpressionError) -> JSONValue {
        switch t {
        case .scalar(let s):
            if let error = s.error { throw ExpressionError("\(s.path): \(error)") }
            if let template = s.template {
                guard let ctx else { return .string(s.text) }
                if keepUnknown {
                    let known = Set(ctx.contexts.keys)
                    if template.expressions.contains(where: { !$0.contextNames.isSubset(of: known) }) { return .string(s.text) }
                    return (try? template.evaluate(ctx)) ?? .string(s.text)
                }
                do { return try template.evaluate(ctx) } catch { throw ExpressionError("\(s.path): \(error.message)") }
            }
            if s.plain, case .string = s.json { return s.json }
            if s.plain && JSONSchema.types(of: schema).contains("string") && !JSONSchema.types(of: schema).contains(where: { $0 != "string" }) {
                return .string(s.text)
            }
            return s.json
        case .sequence(let items):
            var out: [JSONValue] = []
            out.reserveCapacity(items.count)
            for n in items { out.append(try value(n, schema?["items"], ctx, keepUnknown: keepUnknown)) }
            return .array(out)
        case .mapping(let pairs):
            var out: [String: JSONValue] = [:]
            for p in pairs { out[p.key] = try value(p.value, JSONSchema.propertySchema(schema, p.key), ctx, keepUnknown: keepUnknown) }
            return .object(out)
        }
    }

    /// Whether a literal input is still an unevaluated expression.
    public static func isExpression(_ v: JSONValue) -> Bool {
        if case .string(let s) = v { return s.contains("${{") }
        return false
    }

    /// The position of the YAML node at a schema problem's path (`with.a.b[2]`), for messages.
    public static func position(of path: String, in node: YAMLNode?) -> SourcePosition? {
        guard var cur = node else { return nil }
        var rest = Substring(path)
        if rest.hasPrefix("with") { rest = rest.dropFirst(4) }
        while !rest.isEmpty {
            if rest.hasPrefix(".") {
                rest = rest.dropFirst()
                let name = rest.prefix { $0 != "." && $0 != "[" }
                rest = rest.dropFirst(name.count)
                guard let pair = cur.pairs?.first(where: { $0.key.scalar == String(name) }) else { return cur.position }
                if rest.isEmpty { return pair.key.position }
                cur = pair.value
            } else if rest.hasPrefix("[") {
                let digits = rest.dropFirst().prefix { $0 != "]" }
                rest = rest.dropFirst(digits.count + 2)
                guard let i = Int(digits), let items = cur.items, i < items.count else { return cur.position }
                cur = items[i]
            } else { break }
        }
        return cur.position
    }
}

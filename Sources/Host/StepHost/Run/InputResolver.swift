import StepProcess
import StepProtocol
import StepYAML

/// Turns a step's `with:` into the JSON a plugin receives.
///
/// Where the schema says `string`, a plain YAML scalar passes its source text
/// (`1.10` stays `"1.10"`). Strings with `${{ }}` are evaluated when a context
/// is given, and kept as written (opaque to schema checks) when not.
public enum InputResolver {
    public static func resolve(_ node: YAMLNode?, schema: JSONValue?, context: EvaluationContext?) throws(ExpressionError) -> [String: JSONValue] {
        guard let node, node.pairs != nil else { return [:] }
        return try value(node, schema, context, path: "with").objectValue ?? [:]
    }

    /// One input. With `keepUnknown` (for `plan`), an expression that reads a
    /// context `ctx` does not have, or fails to evaluate, stays as written.
    static func value(_ node: YAMLNode, _ schema: JSONValue?, _ ctx: EvaluationContext?, path: String,
                      keepUnknown: Bool = false) throws(ExpressionError) -> JSONValue {
        switch node.kind {
        case .scalar(let s):
            if s.contains("${{") || s.contains("$${{") {
                let t: Template
                do { t = try Template(s) } catch { throw ExpressionError("\(path): \(error.message)") }
                guard let ctx else { return .string(s) }
                if keepUnknown {
                    let known = Set(ctx.contexts.keys)
                    if t.expressions.contains(where: { !$0.contextNames.isSubset(of: known) }) { return .string(s) }
                    return (try? t.evaluate(ctx)) ?? .string(s)
                }
                do { return try t.evaluate(ctx) } catch { throw ExpressionError("\(path): \(error.message)") }
            }
            if node.isPlain && JSONSchema.types(of: schema).contains("string") && !JSONSchema.types(of: schema).contains(where: { $0 != "string" }) {
                return .string(s)
            }
            return node.json
        case .sequence(let items):
            var out: [JSONValue] = []
            for (i, n) in items.enumerated() { out.append(try value(n, schema?["items"], ctx, path: "\(path)[\(i)]", keepUnknown: keepUnknown)) }
            return .array(out)
        case .mapping(let pairs):
            var out: [String: JSONValue] = [:]
            for p in pairs {
                let k = p.key.scalar ?? ""
                out[k] = try value(p.value, JSONSchema.propertySchema(schema, k), ctx, path: "\(path).\(k)", keepUnknown: keepUnknown)
            }
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

import StepProtocol

/// A string that may hold `${{ expression }}` parts.
public struct Template: Sendable, Hashable {
    public enum Part: Sendable, Hashable {
        case text(String)
        case expression(Expression, source: String)
    }

    public var parts: [Part]

    /// Parses `text`; `$${{` writes a literal `${{`.
    public init(_ text: String) throws(ExpressionError) {
        var parts: [Part] = []
        var literal = ""
        let u = Array(text.unicodeScalars)
        var k = 0
        // Markers compared scalar by scalar, without building arrays: this runs for every input of every step.
        func at(_ k: Int, _ p: [Unicode.Scalar]) -> Bool {
            guard k + p.count <= u.count else { return false }
            for (i, c) in p.enumerated() where u[k + i] != c { return false }
            return true
        }
        let escaped: [Unicode.Scalar] = ["$", "$", "{", "{"], open: [Unicode.Scalar] = ["$", "{", "{"], close: [Unicode.Scalar] = ["}", "}"]
        while k < u.count {
            if u[k] == "$" && at(k, escaped) { literal += "${{"; k += 4; continue }
            if u[k] == "$" && at(k, open) {
                var j = k + 3
                var inString = false
                var end: Int?
                while j < u.count {
                    if u[j] == "'" { inString.toggle() }
                    else if !inString && at(j, close) { end = j; break }
                    j += 1
                }
                guard let end else { throw ExpressionError("'${{' without a closing '}}'") }
                let source = String(String.UnicodeScalarView(u[(k + 3)..<end])).trimmingSpaces()
                let expr: Expression
                do { expr = try ExpressionParser.parse(source) } catch {
                    throw ExpressionError("in '${{ \(source) }}': \(error.message)")
                }
                if !literal.isEmpty { parts.append(.text(literal)); literal = "" }
                parts.append(.expression(expr, source: source))
                k = end + 2
                continue
            }
            literal.unicodeScalars.append(u[k])
            k += 1
        }
        if !literal.isEmpty { parts.append(.text(literal)) }
        self.parts = parts
    }

    public var hasExpressions: Bool { parts.contains { if case .expression = $0 { return true }; return false } }

    public var expressions: [Expression] {
        parts.compactMap { if case .expression(let e, _) = $0 { return e }; return nil }
    }

    /// A template that is one whole expression keeps the value's JSON type;
    /// otherwise values are put into the text.
    public func evaluate(_ ctx: EvaluationContext) throws(ExpressionError) -> JSONValue {
        if parts.count == 1, case .expression(let e, _) = parts[0] { return try e.evaluate(ctx) }
        var out = ""
        for p in parts {
            switch p {
            case .text(let t): out += t
            case .expression(let e, _): out += Template.text(of: try e.evaluate(ctx))
            }
        }
        return .string(out)
    }

    /// A value as it is put into text: null as '', lists and objects as compact JSON.
    public static func text(of v: JSONValue) -> String {
        switch v {
        case .null: return ""
        case .string(let s): return s
        default: return v.encoded()
        }
    }
}

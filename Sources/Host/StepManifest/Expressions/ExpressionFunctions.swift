import Foundation
import StepProtocol

/// Values and status an expression is evaluated against.
public struct EvaluationContext: Sendable {
    /// The context names a manifest may use.
    public static let knownContexts = ["steps", "item", "env", "vars", "run"]

    public var contexts: [String: JSONValue]
    public var success = true
    public var failure = false
    public var cancelled = false
    /// In a dry run, outputs that only a real run produces are null, and functions pass null through instead of failing on it.
    public var dryRun = false

    public init(contexts: [String: JSONValue] = [:]) { self.contexts = contexts }
}

enum ExpressionFunctions {
    static let arity: [String: ClosedRange<Int>] = [
        "success": 0...0, "failure": 0...0, "always": 0...0, "cancelled": 0...0,
        "contains": 2...2, "startsWith": 2...2, "endsWith": 2...2, "format": 1...64,
        "join": 1...2, "toJSON": 1...1, "fromJSON": 1...1,
    ]

    static func call(_ name: String, _ args: [JSONValue], _ ctx: EvaluationContext) throws(ExpressionError) -> JSONValue {
        switch name {
        case "success": return .bool(ctx.success)
        case "failure": return .bool(ctx.failure)
        case "always": return .bool(true)
        case "cancelled": return .bool(ctx.cancelled)
        case "contains":
            if case .array(let a) = args[0] { return .bool(a.contains(args[1])) }
            return .bool(Template.text(of: args[0]).contains(Template.text(of: args[1])))
        case "startsWith": return .bool(Template.text(of: args[0]).hasPrefix(Template.text(of: args[1])))
        case "endsWith": return .bool(Template.text(of: args[0]).hasSuffix(Template.text(of: args[1])))
        case "format": return .string(try format(Template.text(of: args[0]), Array(args.dropFirst())))
        case "join":
            let sep = args.count > 1 ? Template.text(of: args[1]) : ","
            if case .array(let a) = args[0] { return .string(a.map(Template.text(of:)).joined(separator: sep)) }
            return .string(Template.text(of: args[0]))
        case "toJSON": return .string(args[0].encoded())
        case "fromJSON":
            if ctx.dryRun && args[0].isNull { return .null }
            guard case .string(let s) = args[0] else { throw ExpressionError("fromJSON() needs a string, got \(args[0].typeName)") }
            do { return try JSONParser.parse(s) } catch { throw ExpressionError("fromJSON(): \(error)") }
        default: throw ExpressionError("unknown function '\(name)()'")
        }
    }

    /// `format('{0}-{1}', a, b)`; `{{` and `}}` stand for braces.
    static func format(_ f: String, _ args: [JSONValue]) throws(ExpressionError) -> String {
        var out = ""
        let chars = Array(f)
        var k = 0
        while k < chars.count {
            let c = chars[k]
            if c == "{" {
                if k + 1 < chars.count && chars[k + 1] == "{" { out.append("{"); k += 2; continue }
                var j = k + 1
                var digits = ""
                while j < chars.count, chars[j].isNumber { digits.append(chars[j]); j += 1 }
                guard j < chars.count, chars[j] == "}", let n = Int(digits) else {
                    throw ExpressionError("format(): invalid placeholder in '\(f)'")
                }
                guard n < args.count else { throw ExpressionError("format(): placeholder {\(n)} has no argument") }
                out += Template.text(of: args[n])
                k = j + 1
                continue
            }
            if c == "}" {
                if k + 1 < chars.count && chars[k + 1] == "}" { out.append("}"); k += 2; continue }
                throw ExpressionError("format(): unmatched '}' in '\(f)'")
            }
            out.append(c)
            k += 1
        }
        return out
    }
}

extension JSONValue {
    /// False, 0, '' and null are falsy; everything else is truthy.
    public var isTruthy: Bool {
        switch self {
        case .null: return false
        case .bool(let b): return b
        case .number(let n): return n != 0 && !n.isNaN
        case .string(let s): return !s.isEmpty
        case .array, .object: return true
        }
    }
}

extension Expression {
    public func evaluate(_ ctx: EvaluationContext) throws(ExpressionError) -> JSONValue {
        switch self {
        case .literal(let v): return v
        case .context(let name):
            if let v = ctx.contexts[name] { return v }
            if EvaluationContext.knownContexts.contains(name) {
                throw ExpressionError("'\(name)' is not available here")
            }
            throw ExpressionError(WorkflowGraph.unknownContext(name, in: "the expression"))
        case .member(let base, let name):
            return Expression.access(try base.evaluate(ctx), .string(name))
        case .index(let base, let i):
            return Expression.access(try base.evaluate(ctx), try i.evaluate(ctx))
        case .call(let name, let args):
            var values: [JSONValue] = []
            for a in args { values.append(try a.evaluate(ctx)) }
            return try ExpressionFunctions.call(name, values, ctx)
        case .not(let e): return .bool(!(try e.evaluate(ctx)).isTruthy)
        case .binary(let op, let a, let b):
            let l = try a.evaluate(ctx)
            switch op {
            case .and: return l.isTruthy ? try b.evaluate(ctx) : l
            case .or: return l.isTruthy ? l : try b.evaluate(ctx)
            default: break
            }
            let r = try b.evaluate(ctx)
            switch op {
            case .equal: return .bool(l == r)
            case .notEqual: return .bool(l != r)
            default:
                let order: Bool?
                switch (l, r) {
                case (.number(let x), .number(let y)): order = op.compare(x, y)
                case (.string(let x), .string(let y)): order = op.compare(x, y)
                default: order = nil
                }
                return .bool(order ?? false)
            }
        }
    }

    static func access(_ base: JSONValue, _ key: JSONValue) -> JSONValue {
        switch (base, key) {
        case (.object(let o), .string(let k)): return o[k] ?? .null
        case (.array(let a), .number):
            guard let n = key.intValue, n >= 0, n < a.count else { return .null }
            return a[n]
        default: return .null
        }
    }
}

extension Expression.BinaryOperator {
    func compare<T: Comparable>(_ x: T, _ y: T) -> Bool {
        switch self {
        case .less: return x < y
        case .lessOrEqual: return x <= y
        case .greater: return x > y
        case .greaterOrEqual: return x >= y
        default: return false
        }
    }
}

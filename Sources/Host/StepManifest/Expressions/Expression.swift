import StepProtocol

/// A parsed `${{ }}` expression.
public indirect enum Expression: Sendable, Hashable {
    case literal(JSONValue)
    /// A top-level context name: `steps`, `item`, `env`, `vars`, `run`.
    case context(String)
    case member(Expression, String)
    case index(Expression, Expression)
    case call(String, [Expression])
    case not(Expression)
    case binary(BinaryOperator, Expression, Expression)

    public enum BinaryOperator: String, Sendable, Hashable {
        case and = "&&", or = "||", equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    }

    /// The status functions; an `if` that calls none of them gets `success() &&` in front.
    public static let statusFunctions: Set<String> = ["success", "failure", "always", "cancelled"]

    public var callsStatusFunction: Bool {
        var found = false
        visit { if case .call(let name, _) = $0, Expression.statusFunctions.contains(name) { found = true } }
        return found
    }

    /// Context names this expression reads.
    public var contextNames: Set<String> {
        var names: Set<String> = []
        visit { if case .context(let n) = $0 { names.insert(n) } }
        return names
    }

    /// Step ids read through `steps.<id>` or `steps['<id>']`.
    public var referencedSteps: Set<String> {
        var ids: Set<String> = []
        visit {
            switch $0 {
            case .member(.context("steps"), let id): ids.insert(id)
            case .index(.context("steps"), .literal(.string(let id))): ids.insert(id)
            default: break
            }
        }
        return ids
    }

    /// Calls `body` on this node and every node below it.
    public func visit(_ body: (Expression) -> Void) {
        body(self)
        switch self {
        case .literal, .context: break
        case .member(let e, _), .not(let e): e.visit(body)
        case .index(let a, let b), .binary(_, let a, let b): a.visit(body); b.visit(body)
        case .call(_, let args): args.forEach { $0.visit(body) }
        }
    }
}

/// A problem in an expression's text or evaluation.
public struct ExpressionError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

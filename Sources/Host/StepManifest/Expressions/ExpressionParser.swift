import StepProtocol

/// Parses the expression language of docs/manifest.md.
///
/// Precedence, loosest first: `||`, `&&`, `==` `!=`, `<` `<=` `>` `>=`, `!`,
/// then member access, indexing and calls.
public struct ExpressionParser {
    public static func parse(_ text: String) throws(ExpressionError) -> Expression {
        var p = ExpressionParser(Array(text.utf8))
        p.skipSpace()
        guard !p.atEnd else { throw ExpressionError("empty expression") }
        let e = try p.or(depth: 0)
        p.skipSpace()
        guard p.atEnd else { throw ExpressionError("unexpected '\(p.rest)' at character \(p.i + 1)") }
        return e
    }

    private let s: [UInt8]
    private var i = 0
    private init(_ s: [UInt8]) { self.s = s }

    private var atEnd: Bool { i >= s.count }
    private var rest: String { String(decoding: s[i..<min(s.count, i + 20)], as: UTF8.self) }
    private func peek(_ k: Int = 0) -> UInt8 { i + k < s.count ? s[i + k] : 0 }

    private mutating func skipSpace() { while !atEnd && (s[i] == 0x20 || s[i] == 0x09 || s[i] == 0x0A || s[i] == 0x0D) { i += 1 } }

    private mutating func eat(_ op: String) -> Bool {
        skipSpace()
        let u = Array(op.utf8)
        guard i + u.count <= s.count, Array(s[i..<i + u.count]) == u else { return false }
        i += u.count
        return true
    }

    private mutating func or(depth: Int) throws(ExpressionError) -> Expression {
        guard depth < 100 else { throw ExpressionError("expression nested too deeply") }
        var e = try and(depth: depth)
        while eat("||") { e = .binary(.or, e, try and(depth: depth)) }
        return e
    }

    private mutating func and(depth: Int) throws(ExpressionError) -> Expression {
        var e = try equality(depth: depth)
        while eat("&&") { e = .binary(.and, e, try equality(depth: depth)) }
        return e
    }

    private mutating func equality(depth: Int) throws(ExpressionError) -> Expression {
        var e = try comparison(depth: depth)
        while true {
            if eat("==") { e = .binary(.equal, e, try comparison(depth: depth)) }
            else if eat("!=") { e = .binary(.notEqual, e, try comparison(depth: depth)) }
            else { return e }
        }
    }

    private mutating func comparison(depth: Int) throws(ExpressionError) -> Expression {
        var e = try unary(depth: depth)
        while true {
            if eat("<=") { e = .binary(.lessOrEqual, e, try unary(depth: depth)) }
            else if eat(">=") { e = .binary(.greaterOrEqual, e, try unary(depth: depth)) }
            else if eat("<") { e = .binary(.less, e, try unary(depth: depth)) }
            else if eat(">") { e = .binary(.greater, e, try unary(depth: depth)) }
            else { return e }
        }
    }

    private mutating func unary(depth: Int) throws(ExpressionError) -> Expression {
        skipSpace()
        if peek() == UInt8(ascii: "!") && peek(1) != UInt8(ascii: "=") {
            i += 1
            guard depth < 100 else { throw ExpressionError("expression nested too deeply") }
            return .not(try unary(depth: depth + 1))
        }
        return try postfix(depth: depth)
    }

    private mutating func postfix(depth: Int) throws(ExpressionError) -> Expression {
        var e = try primary(depth: depth)
        while true {
            skipSpace()
            if peek() == UInt8(ascii: ".") {
                i += 1
                skipSpace()
                guard let name = identifier() else {
                    if peek() == UInt8(ascii: "*") { throw ExpressionError("the '.*' filter is not supported") }
                    throw ExpressionError("expected a name after '.' at character \(i + 1)")
                }
                e = .member(e, name)
            } else if peek() == UInt8(ascii: "[") {
                i += 1
                let index = try or(depth: depth + 1)
                guard eat("]") else { throw ExpressionError("expected ']' at character \(i + 1)") }
                e = .index(e, index)
            } else {
                return e
            }
        }
    }

    private mutating func identifier() -> String? {
        let start = i
        guard !atEnd, isIdentStart(s[i]) else { return nil }
        i += 1
        while !atEnd, isIdentStart(s[i]) || (s[i] >= 0x30 && s[i] <= 0x39) || s[i] == UInt8(ascii: "-") { i += 1 }
        return String(decoding: s[start..<i], as: UTF8.self)
    }

    private func isIdentStart(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "_")
    }

    private mutating func primary(depth: Int) throws(ExpressionError) -> Expression {
        skipSpace()
        guard !atEnd else { throw ExpressionError("unexpected end of expression") }
        let c = s[i]
        if c == UInt8(ascii: "(") {
            i += 1
            let e = try or(depth: depth + 1)
            guard eat(")") else { throw ExpressionError("expected ')' at character \(i + 1)") }
            return e
        }
        if c == UInt8(ascii: "'") {
            i += 1
            var out: [UInt8] = []
            while true {
                guard !atEnd else { throw ExpressionError("unterminated string literal") }
                if s[i] == UInt8(ascii: "'") {
                    if peek(1) == UInt8(ascii: "'") { out.append(s[i]); i += 2; continue }
                    i += 1
                    break
                }
                out.append(s[i]); i += 1
            }
            return .literal(.string(String(decoding: out, as: UTF8.self)))
        }
        if c == UInt8(ascii: "-") || (c >= 0x30 && c <= 0x39) {
            let start = i
            i += 1
            while !atEnd, (s[i] >= 0x30 && s[i] <= 0x39) || s[i] == UInt8(ascii: ".") || s[i] == UInt8(ascii: "e")
                || s[i] == UInt8(ascii: "E") || ((s[i] == UInt8(ascii: "-") || s[i] == UInt8(ascii: "+")) && (s[i - 1] == UInt8(ascii: "e") || s[i - 1] == UInt8(ascii: "E"))) { i += 1 }
            let text = String(decoding: s[start..<i], as: UTF8.self)
            guard let d = Double(text) else { throw ExpressionError("invalid number '\(text)'") }
            return .literal(.number(d))
        }
        guard let name = identifier() else {
            throw ExpressionError("unexpected '\(rest)' at character \(i + 1)")
        }
        switch name {
        case "true": return .literal(.bool(true))
        case "false": return .literal(.bool(false))
        case "null": return .literal(.null)
        default: break
        }
        skipSpace()
        if peek() == UInt8(ascii: "(") {
            i += 1
            var args: [Expression] = []
            if !eat(")") {
                repeat { args.append(try or(depth: depth + 1)) } while eat(",")
                guard eat(")") else { throw ExpressionError("expected ')' after the arguments of \(name)()") }
            }
            guard let arity = ExpressionFunctions.arity[name] else {
                let known = ExpressionFunctions.arity.keys.sorted()
                throw ExpressionError("unknown function '\(name)()'\(Suggestion.didYouMean(name, in: known)) (known: \(known.joined(separator: ", ")))")
            }
            guard arity.contains(args.count) else {
                throw ExpressionError("\(name)() takes \(arity.lowerBound == arity.upperBound ? "\(arity.lowerBound)" : "\(arity.lowerBound) to \(arity.upperBound)") argument(s), got \(args.count)")
            }
            return .call(name, args)
        }
        return .context(name)
    }
}

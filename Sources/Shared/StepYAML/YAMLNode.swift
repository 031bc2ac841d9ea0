import StepProtocol

/// A 1-based line and column in a source file.
///
/// A node that an alias (`*name`) copied has the alias's position, and
/// `anchor` says where the copied block was written, so that a problem inside
/// a shared block is reported where the user used it and where it came from.
public struct SourcePosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    @Stored32 public var line: Int
    @Stored32 public var column: Int
    /// Rare (only under an alias), so kept out of line: every node of a document has a position.
    private var origin: Origin?
    public var anchor: AnchorOrigin? {
        get { origin?.value }
        set { origin = newValue.map(Origin.init) }
    }

    private final class Origin: Sendable {
        let value: AnchorOrigin
        init(_ value: AnchorOrigin) { self.value = value }
    }

    public init(line: Int, column: Int, anchor: AnchorOrigin? = nil) {
        self.line = line; self.column = column; self.origin = anchor.map(Origin.init)
    }
    public var description: String { "\(line):\(column)" }
    public static func < (a: SourcePosition, b: SourcePosition) -> Bool { (a.line, a.column) < (b.line, b.column) }
    public static func == (a: SourcePosition, b: SourcePosition) -> Bool {
        a.line == b.line && a.column == b.column && a.anchor == b.anchor
    }
    public func hash(into h: inout Hasher) {
        h.combine(line)
        h.combine(column)
        h.combine(anchor)
    }
}

/// Where a node copied by an alias was written: the anchor's name and the
/// position of the node inside the anchored block.
public struct AnchorOrigin: Sendable, Hashable {
    public var name: String
    public var line: Int
    public var column: Int
    public init(name: String, line: Int, column: Int) { self.name = name; self.line = line; self.column = column }
    /// The words a message appends: `(in the block anchored '&base' at 3:5)`.
    public var note: String { "(in the block anchored '&\(name)' at \(line):\(column))" }
}

/// One node of a parsed YAML document, with where it starts.
public struct YAMLNode: Sendable, Hashable {
    public enum Style: Sendable, Hashable { case plain, singleQuoted, doubleQuoted, literal, folded, flow, block }

    public enum Kind: Sendable, Hashable {
        /// `text` is the scalar's value; for plain scalars it is also the source text.
        case scalar(String)
        case mapping([Pair])
        case sequence([YAMLNode])
    }

    public struct Pair: Sendable, Hashable {
        public var key: YAMLNode
        public var value: YAMLNode
    }

    public var kind: Kind
    public var style: Style
    public var position: SourcePosition
    /// Byte offsets of the node's source text (for scalars: without quotes' surrounding space).
    @Stored32 public var startOffset: Int
    @Stored32 public var endOffset: Int

    public var scalar: String? { if case .scalar(let s) = kind { return s }; return nil }
    public var pairs: [Pair]? { if case .mapping(let p) = kind { return p }; return nil }
    public var items: [YAMLNode]? { if case .sequence(let s) = kind { return s }; return nil }
    public var isPlain: Bool { style == .plain }

    /// The value under `key` of a mapping.
    public subscript(key: String) -> YAMLNode? {
        pairs?.first(where: { $0.key.scalar == key })?.value
    }

    /// The node under the core schema: plain scalars become null, booleans and
    /// numbers where they look like one; everything quoted stays a string.
    public var json: JSONValue {
        switch kind {
        case .scalar(let s): return style == .plain ? YAMLNode.resolvePlain(s) : .string(s)
        case .sequence(let items): return .array(items.map(\.json))
        case .mapping(let pairs):
            var o: [String: JSONValue] = [:]
            for p in pairs { o[p.key.scalar ?? ""] = p.value.json }
            return .object(o)
        }
    }

    /// YAML 1.2 core schema resolution of a plain scalar.
    public static func resolvePlain(_ s: String) -> JSONValue {
        switch s {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .number(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .number(-.infinity)
        case ".nan", ".NaN", ".NAN": return .number(.nan)
        default: break
        }
        let u = Array(s.utf8)
        guard let first = u.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
            || (first >= 0x30 && first <= 0x39) else { return .string(s) }
        if u.count > 2, u[0] == UInt8(ascii: "0"), u[1] == UInt8(ascii: "x") || u[1] == UInt8(ascii: "o") {
            let digits = String(decoding: u[2...], as: UTF8.self)
            if let v = Int(digits, radix: u[1] == UInt8(ascii: "x") ? 16 : 8) { return .int(v) }
            return .string(s)
        }
        var i = 0
        if u[i] == UInt8(ascii: "-") || u[i] == UInt8(ascii: "+") { i += 1 }
        var intDigits = 0, fracDigits = 0
        var sawDot = false, sawExp = false
        while i < u.count, u[i] >= 0x30 && u[i] <= 0x39 { i += 1; intDigits += 1 }
        if i < u.count, u[i] == UInt8(ascii: ".") {
            sawDot = true
            i += 1
            while i < u.count, u[i] >= 0x30 && u[i] <= 0x39 { i += 1; fracDigits += 1 }
        }
        if intDigits + fracDigits == 0 { return .string(s) }
        if i < u.count, u[i] == UInt8(ascii: "e") || u[i] == UInt8(ascii: "E") {
            sawExp = true
            i += 1
            if i < u.count, u[i] == UInt8(ascii: "-") || u[i] == UInt8(ascii: "+") { i += 1 }
            var expDigits = 0
            while i < u.count, u[i] >= 0x30 && u[i] <= 0x39 { i += 1; expDigits += 1 }
            if expDigits == 0 { return .string(s) }
        }
        if i != u.count { return .string(s) }
        if !sawDot && !sawExp, let v = Int(s.hasPrefix("+") ? String(s.dropFirst()) : s) { return .int(v) }
        return Double(s).map(JSONValue.number) ?? .string(s)
    }
}

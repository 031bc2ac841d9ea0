extension JSONValue {
    /// Compact JSON with object keys sorted, so output is stable across runs.
    public func encoded() -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static let nullBytes = Array("null".utf8), trueBytes = Array("true".utf8), falseBytes = Array("false".utf8)
    private static let hex = Array("0123456789abcdef".utf8)

    /// Appends compact JSON to `out`.
    public func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: JSONValue.nullBytes)
        case .bool(let b): out.append(contentsOf: b ? JSONValue.trueBytes : JSONValue.falseBytes)
        case .number(let n): JSONValue.write(number: n, to: &out)
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            var first = true
            for v in a {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                v.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            var first = true
            for (k, v) in o.sorted(by: { $0.key < $1.key }) {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                JSONValue.writeString(k, to: &out)
                out.append(UInt8(ascii: ":"))
                v.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Indented JSON with sorted keys, for people.
    public func prettyEncoded(indent: String = "  ") -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        pretty(into: &out, level: 0, indent: Array(indent.utf8))
        return String(decoding: out, as: UTF8.self)
    }

    /// `object` with `key` set to an array of `count` elements, written as `prettyEncoded` writes it, each
    /// element made only when it is written: a run summary of 100,000 steps never holds the whole tree.
    /// `drain` is called after each element and may take what `out` holds so far (to write it out).
    public static func writePretty(object: [String: JSONValue], array key: String, count: Int, element: (Int) -> JSONValue,
                                   to out: inout [UInt8], indent: String = "  ", drain: (inout [UInt8]) -> Void = { _ in }) {
        let indent = Array(indent.utf8)
        let keys = (object.keys.filter { $0 != key } + [key]).sorted()
        prettyObject(keys: keys, into: &out, level: 0, indent: indent) { k, out in
            if k == key {
                prettyArray(count: count, element: element, into: &out, level: 1, indent: indent, drain: drain)
            } else {
                object[k]!.pretty(into: &out, level: 1, indent: indent)
            }
        }
    }

    private func pretty(into out: inout [UInt8], level: Int, indent: [UInt8]) {
        switch self {
        case .array(let a) where !a.isEmpty:
            JSONValue.prettyArray(count: a.count, element: { a[$0] }, into: &out, level: level, indent: indent)
        case .object(let o) where !o.isEmpty:
            JSONValue.prettyObject(keys: o.keys.sorted(), into: &out, level: level, indent: indent) { k, out in
                o[k]!.pretty(into: &out, level: level + 1, indent: indent)
            }
        default:
            write(to: &out)
        }
    }

    /// `[`, one element a line at `level + 1`, `]`; `[]` when empty.
    private static func prettyArray(count: Int, element: (Int) -> JSONValue, into out: inout [UInt8], level: Int, indent: [UInt8],
                                    drain: (inout [UInt8]) -> Void = { _ in }) {
        guard count > 0 else { out.append(contentsOf: "[]".utf8); return }
        out.append(contentsOf: "[\n".utf8)
        for j in 0..<count {
            for _ in 0...level { out.append(contentsOf: indent) }
            element(j).pretty(into: &out, level: level + 1, indent: indent)
            out.append(contentsOf: (j < count - 1 ? ",\n" : "\n").utf8)
            drain(&out)
        }
        for _ in 0..<level { out.append(contentsOf: indent) }
        out.append(UInt8(ascii: "]"))
    }

    /// `{`, one `"key": value` a line at `level + 1` (`value` writes it), `}`.
    private static func prettyObject(keys: [String], into out: inout [UInt8], level: Int, indent: [UInt8],
                                     value: (String, inout [UInt8]) -> Void) {
        out.append(contentsOf: "{\n".utf8)
        for (i, k) in keys.enumerated() {
            for _ in 0...level { out.append(contentsOf: indent) }
            writeString(k, to: &out)
            out.append(contentsOf: ": ".utf8)
            value(k, &out)
            out.append(contentsOf: (i < keys.count - 1 ? ",\n" : "\n").utf8)
        }
        for _ in 0..<level { out.append(contentsOf: indent) }
        out.append(UInt8(ascii: "}"))
    }

    static func format(number n: Double) -> String {
        if n.isNaN || n.isInfinite { return "null" }
        if n.rounded() == n && abs(n) < 1e17 { return String(Int64(n)) }
        return "\(n)"
    }

    /// Whole numbers (the common case: counts, durations, ports) digit by digit, the rest as Swift prints them.
    static func write(number n: Double, to out: inout [UInt8]) {
        guard n.rounded() == n && abs(n) < 1e17 else { out.append(contentsOf: format(number: n).utf8); return }
        var v = Int64(n)
        if v == 0 { out.append(UInt8(ascii: "0")); return }
        if v < 0 { out.append(UInt8(ascii: "-")); v = -v }
        var digits: [UInt8] = []
        while v > 0 { digits.append(UInt8(48 + v % 10)); v /= 10 }
        out.append(contentsOf: digits.reversed())
    }

    static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings need no escape: copied whole.
        var plain = true
        for b in s.utf8 where b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F { plain = false; break }
        if plain {
            out.append(contentsOf: s.utf8)
        } else {
            for b in s.utf8 {
                switch b {
                case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(b)
                case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(b)
                case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
                case 0..<0x20, 0x7F:
                    out.append(contentsOf: "\\u00".utf8)
                    out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 0xF)])
                default: out.append(b)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

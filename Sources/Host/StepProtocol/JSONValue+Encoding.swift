extension JSONValue {
    /// Compact JSON with object keys sorted, so output is stable across runs.
    public func encoded() -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends compact JSON to `out`.
    public func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: Array("null".utf8))
        case .bool(let b): out.append(contentsOf: Array((b ? "true" : "false").utf8))
        case .number(let n): out.append(contentsOf: Array(JSONValue.format(number: n).utf8))
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                v.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            for (i, k) in o.keys.sorted().enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.writeString(k, to: &out)
                out.append(UInt8(ascii: ":"))
                o[k]!.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Indented JSON with sorted keys, for people.
    public func prettyEncoded(indent: String = "  ") -> String {
        var out = ""
        pretty(into: &out, level: 0, indent: indent)
        return out
    }

    private func pretty(into out: inout String, level: Int, indent: String) {
        let pad = String(repeating: indent, count: level + 1)
        let end = String(repeating: indent, count: level)
        switch self {
        case .array(let a) where !a.isEmpty:
            out += "[\n"
            for (i, v) in a.enumerated() {
                out += pad
                v.pretty(into: &out, level: level + 1, indent: indent)
                out += i < a.count - 1 ? ",\n" : "\n"
            }
            out += end + "]"
        case .object(let o) where !o.isEmpty:
            out += "{\n"
            let keys = o.keys.sorted()
            for (i, k) in keys.enumerated() {
                out += pad + JSONValue.string(k).encoded() + ": "
                o[k]!.pretty(into: &out, level: level + 1, indent: indent)
                out += i < keys.count - 1 ? ",\n" : "\n"
            }
            out += end + "}"
        default:
            out += encoded()
        }
    }

    static func format(number n: Double) -> String {
        if n.isNaN || n.isInfinite { return "null" }
        if n.rounded() == n && abs(n) < 1e17 { return String(Int64(n)) }
        return "\(n)"
    }

    static func writeString(_ s: String, to out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(b)
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(b)
            case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0..<0x20, 0x7F:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 0xF)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

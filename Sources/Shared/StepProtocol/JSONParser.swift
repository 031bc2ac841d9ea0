/// A strict JSON (RFC 8259) parser over UTF-8 bytes.
///
/// Written here rather than taken from `JSONSerialization` so that numbers,
/// booleans and nesting depth behave the same on every platform, and so that
/// a plugin's garbage line gives a precise message.
public struct JSONParser {
    public struct Error: Swift.Error, Sendable, Equatable, CustomStringConvertible {
        public var offset: Int
        public var message: String
        public var description: String { "invalid JSON at byte \(offset): \(message)" }
    }

    /// Deeper nesting than this is rejected, so hostile input cannot exhaust the stack.
    public static let maxDepth = 256

    public static func parse(_ text: String) throws(Error) -> JSONValue {
        try parse(Array(text.utf8))
    }

    public static func parse(_ bytes: [UInt8]) throws(Error) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buf) throws(Error) -> JSONValue in
            var p = JSONParser(buf: buf)
            p.skipSpace()
            let v = try p.value(depth: 0)
            p.skipSpace()
            if p.i != buf.count { throw p.fail("unexpected data after the value") }
            return v
        }
    }

    let buf: UnsafeBufferPointer<UInt8>
    /// The next byte to read.
    var i = 0

    init(buf: UnsafeBufferPointer<UInt8>) { self.buf = buf }

    private func fail(_ m: String) -> Error { Error(offset: i, message: m) }

    mutating func skipSpace() {
        while i < buf.count, buf[i] == 0x20 || buf[i] == 0x0A || buf[i] == 0x0D || buf[i] == 0x09 { i += 1 }
    }

    private mutating func value(depth: Int) throws(Error) -> JSONValue {
        guard depth < JSONParser.maxDepth else { throw fail("nested too deeply") }
        guard i < buf.count else { throw fail("unexpected end of input") }
        switch buf[i] {
        case UInt8(ascii: "{"):
            i += 1
            skipSpace()
            // An empty object allocates nothing (a step's `outputs: {}` is kept until the run ends).
            if i < buf.count, buf[i] == UInt8(ascii: "}") { i += 1; return .object([:]) }
            var o = [String: JSONValue](minimumCapacity: 4)
            while true {
                skipSpace()
                guard i < buf.count, buf[i] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let k = try string()
                skipSpace()
                guard i < buf.count, buf[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                skipSpace()
                o[k] = try value(depth: depth + 1)
                skipSpace()
                guard i < buf.count else { throw fail("unexpected end of input in object") }
                if buf[i] == UInt8(ascii: ",") { i += 1; continue }
                if buf[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
                throw fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            i += 1
            var a: [JSONValue] = []
            skipSpace()
            if i < buf.count, buf[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
            while true {
                skipSpace()
                a.append(try value(depth: depth + 1))
                skipSpace()
                guard i < buf.count else { throw fail("unexpected end of input in array") }
                if buf[i] == UInt8(ascii: ",") { i += 1; continue }
                if buf[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            return .number(try number())
        }
    }

    private mutating func literal(_ word: String) throws(Error) {
        let w = Array(word.utf8)
        guard i + w.count <= buf.count else { throw fail("invalid literal") }
        for k in 0..<w.count where buf[i + k] != w[k] { throw fail("invalid literal") }
        i += w.count
    }

    mutating func number() throws(Error) -> Double {
        let start = i
        if i < buf.count, buf[i] == UInt8(ascii: "-") { i += 1 }
        guard i < buf.count, isDigit(buf[i]) else { throw fail("invalid value") }
        if buf[i] == UInt8(ascii: "0") { i += 1 } else { while i < buf.count, isDigit(buf[i]) { i += 1 } }
        if i < buf.count, buf[i] == UInt8(ascii: ".") {
            i += 1
            guard i < buf.count, isDigit(buf[i]) else { throw fail("digit expected after '.'") }
            while i < buf.count, isDigit(buf[i]) { i += 1 }
        }
        if i < buf.count, buf[i] == UInt8(ascii: "e") || buf[i] == UInt8(ascii: "E") {
            i += 1
            if i < buf.count, buf[i] == UInt8(ascii: "+") || buf[i] == UInt8(ascii: "-") { i += 1 }
            guard i < buf.count, isDigit(buf[i]) else { throw fail("digit expected in exponent") }
            while i < buf.count, isDigit(buf[i]) { i += 1 }
        }
        // Integers of up to 15 digits are exact in a double: read without going through text.
        if i - start <= 15, let n = Self.smallInteger(buf, start, i) { return n }
        let text = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<i]), as: UTF8.self)
        guard let d = Double(text) else { throw fail("invalid number") }
        // JSON has no infinity: a number too large for a double would come back as null.
        guard d.isFinite else { throw fail("number out of range: \(text.prefix(40))") }
        return d
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// The value of `buf[start..<end]` when it is an optional '-' and digits only.
    private static func smallInteger(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        var k = start
        let negative = buf[k] == UInt8(ascii: "-")
        if negative { k += 1 }
        var v: Int64 = 0
        while k < end {
            let d = buf[k] &- 0x30
            guard d < 10 else { return nil }
            v = v * 10 + Int64(d)
            k += 1
        }
        // -0 stays a negative zero, as Double("-0") reads it.
        return negative ? -Double(v) : Double(v)
    }

    private mutating func hex4() throws(Error) -> UInt32 {
        guard i + 4 <= buf.count else { throw fail("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = buf[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw fail("invalid \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    /// A string at `i` (its opening quote).
    mutating func string() throws(Error) -> String {
        i += 1  // opening quote
        let start = i
        // Fast path: no escapes.
        while i < buf.count {
            let c = buf[i]
            if c == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<i]), as: UTF8.self)
                i += 1
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw fail("control character in string") }
            i += 1
        }
        var out = Array(UnsafeBufferPointer(rebasing: buf[start..<i]))
        while i < buf.count {
            let c = buf[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return String(decoding: out, as: UTF8.self)
            }
            if c < 0x20 { throw fail("control character in string") }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            i += 1
            guard i < buf.count else { break }
            let e = buf[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    if i + 6 <= buf.count, buf[i] == UInt8(ascii: "\\"), buf[i + 1] == UInt8(ascii: "u") {
                        i += 2
                        let low = try hex4()
                        if low >= 0xDC00 && low < 0xE000 {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else { scalar = 0xFFFD }
                    } else { scalar = 0xFFFD }
                } else if scalar >= 0xDC00 && scalar < 0xE000 { scalar = 0xFFFD }
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8))
            default: throw fail("invalid escape")
            }
        }
        throw fail("unterminated string")
    }
}

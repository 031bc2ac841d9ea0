import Foundation

/// The forms a secret value takes in output, each of which `Masker` masks.
public enum MaskForms {
    /// Every form of `value` worth masking: at least `Masker.minimumLength`
    /// characters. Only the value itself may contain a newline (a multi-line
    /// value is masked whole as well as line by line); no encoded form does.
    public static func of(_ value: String) -> Set<String> {
        let lines = value.split(whereSeparator: \.isNewline).map(String.init)
        var forms = Set(lines).union([value])
        for v in Set([value] + lines) {
            forms.formUnion(encodings(of: v).filter { !$0.contains(where: \.isNewline) })
        }
        return forms.filter { $0.count >= Masker.minimumLength }
    }

    static func encodings(of v: String) -> [String] {
        var out: [String] = []
        // JSON as encoders write it: each choice they differ on (short \b and \f, `\/`, `\uXXXX` for
        // non-ASCII, `<`, `>`, `&` escaped for HTML as Go does, DEL escaped, upper-case hex), in every
        // combination (stephost's own encoder is one of them: `.del`); a value that needs no escape is
        // its own JSON form, already masked.
        let special = v.unicodeScalars.contains { $0.value < 0x20 || $0.value >= 0x7F || "\"\\/<>&".unicodeScalars.contains($0) }
        if special {
            for flags in 0..<64 { out.append(jsonEscaped(v, JSONStyle(rawValue: flags))) }
        }
        if let s = v.addingPercentEncoding(withAllowedCharacters: .alphanumerics) { out.append(s) }
        if let s = v.addingPercentEncoding(withAllowedCharacters: unreserved) { out.append(s) }
        if let s = v.addingPercentEncoding(withAllowedCharacters: unreserved.union(CharacterSet(charactersIn: " "))) {
            out.append(s.replacingOccurrences(of: " ", with: "+"))
        }
        out += base64Cores(Array(v.utf8))
        return out
    }

    private static let unreserved = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        .union(CharacterSet(charactersIn: "-._~"))

    /// The choices JSON encoders differ on.
    struct JSONStyle: OptionSet {
        let rawValue: Int
        static let shortControl = JSONStyle(rawValue: 1)   // \b and \f rather than \u0008, \u000c
        static let slash = JSONStyle(rawValue: 2)          // `/` as `\/` (Foundation, PHP)
        static let ascii = JSONStyle(rawValue: 4)          // non-ASCII as \uXXXX (Python's default)
        static let html = JSONStyle(rawValue: 8)           // `<`, `>`, `&`, U+2028, U+2029 as \uXXXX (Go)
        static let del = JSONStyle(rawValue: 16)           // DEL as \u007f
        static let upper = JSONStyle(rawValue: 32)         // upper-case hex digits
    }

    /// The inside of a JSON string holding `v`, written in `style`.
    static func jsonEscaped(_ v: String, _ style: JSONStyle) -> String {
        var s = ""
        func u(_ code: UInt16) { s += String(format: style.contains(.upper) ? "\\u%04X" : "\\u%04x", code) }
        for scalar in v.unicodeScalars {
            switch scalar {
            case "\"": s += "\\\""
            case "\\": s += "\\\\"
            case "\n": s += "\\n"
            case "\r": s += "\\r"
            case "\t": s += "\\t"
            case "\u{8}" where style.contains(.shortControl): s += "\\b"
            case "\u{C}" where style.contains(.shortControl): s += "\\f"
            case "/" where style.contains(.slash): s += "\\/"
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                if style.contains(.html) { u(UInt16(scalar.value)) } else { s.unicodeScalars.append(scalar) }
            default:
                if scalar.value < 0x20 || (scalar.value == 0x7F && style.contains(.del)) {
                    u(UInt16(scalar.value))
                } else if scalar.value >= 0x80 && style.contains(.ascii) {
                    for unit in String(scalar).utf16 { u(unit) }
                } else {
                    s.unicodeScalars.append(scalar)
                }
            }
        }
        return s
    }

    /// The part of the base64 (and base64url) encoding that depends only on
    /// `bytes`, for each of the three positions they can start at in the
    /// encoded data: 0, 1 or 2 bytes after a 3-byte boundary.
    public static func base64Cores(_ bytes: [UInt8]) -> [String] {
        guard !bytes.isEmpty else { return [] }
        var out: [String] = []
        for k in 0..<3 {
            let padded = [UInt8](repeating: 0, count: k) + bytes
            let enc = Array(Data(padded).base64EncodedString().utf8)
            let r = padded.count % 3
            let end = padded.count / 3 * 4 + r
            let start = [0, 2, 3][k]
            guard end - start >= Masker.minimumLength else { continue }
            let core = String(decoding: enc[start..<end], as: UTF8.self)
            out.append(core)
            out.append(core.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"))
        }
        return out
    }
}

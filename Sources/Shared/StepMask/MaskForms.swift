import Foundation
import StepProtocol

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
        let json = JSONValue.string(v).encoded()
        out.append(String(json.dropFirst().dropLast()))
        // Some encoders (Foundation's JSONSerialization, PHP) also escape `/`.
        out.append(String(json.dropFirst().dropLast()).replacingOccurrences(of: "/", with: "\\/"))
        if v.unicodeScalars.contains(where: { !$0.isASCII }) { out.append(asciiJSON(v)) }
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

    /// JSON with every non-ASCII character as `\uXXXX` (Python's `json.dumps` default).
    static func asciiJSON(_ v: String) -> String {
        var s = ""
        let escaped = String(JSONValue.string(v).encoded().dropFirst().dropLast())
        for u in escaped.utf16 {
            if u < 0x80 { s.unicodeScalars.append(Unicode.Scalar(u)!) } else { s += String(format: "\\u%04x", u) }
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

/// A name from a manifest or from data (a step id, a for-each key) as one path component: every byte
/// but `[A-Za-z0-9._-]` is percent-encoded (so `/`, control characters and `%` itself), and `.` and `..`
/// are encoded whole, so the result never names a parent or another folder. The key itself is unchanged
/// in records and messages; only paths use this form.
public enum PathComponent {
    public static func encode(_ name: String) -> String {
        if name == "." { return "%2E" }
        if name == ".." { return "%2E%2E" }
        var out = ""
        for b in name.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out += "%" + String(hex[Int(b >> 4)]) + String(hex[Int(b & 0xF)])
            }
        }
        return out.isEmpty ? "%" : out
    }

    private static let hex = Array("0123456789ABCDEF")
}

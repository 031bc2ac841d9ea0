import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Times as records, events and reports write them.
public enum Timestamp {
    /// RFC 3339 UTC with milliseconds (`2026-11-29T10:55:01.123Z`), formatted by hand: a formatter
    /// object per event was most of the host's cost per step.
    public static func rfc3339(_ d: Date) -> String {
        let ms = Int64((d.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(ms / 1000)
        var t = tm()
        gmtime_r(&seconds, &t)
        var out = [UInt8](repeating: 0, count: 24)
        func put(_ v: Int, at i: Int, width: Int) {
            var v = v
            for k in stride(from: i + width - 1, through: i, by: -1) { out[k] = UInt8(48 + v % 10); v /= 10 }
        }
        put(Int(t.tm_year) + 1900, at: 0, width: 4); out[4] = 45          // -
        put(Int(t.tm_mon) + 1, at: 5, width: 2); out[7] = 45
        put(Int(t.tm_mday), at: 8, width: 2); out[10] = 84                // T
        put(Int(t.tm_hour), at: 11, width: 2); out[13] = 58               // :
        put(Int(t.tm_min), at: 14, width: 2); out[16] = 58
        put(Int(t.tm_sec), at: 17, width: 2); out[19] = 46                // .
        put(Int(ms % 1000), at: 20, width: 3); out[23] = 90               // Z
        return String(decoding: out, as: UTF8.self)
    }

    public static func parse(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: s) ?? ISO8601DateFormatter().date(from: s)
    }
}

/// The glob language of branches, paths and detect-changes patterns:
/// `*` matches any characters but `/`; `**` as a whole segment matches zero or more segments.
public struct Glob: Sendable, Hashable {
    public let pattern: String
    private let segments: [String]

    public init(_ pattern: String) {
        self.pattern = pattern
        self.segments = pattern.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    }

    public func matches(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        return Glob.match(segments[...], parts[...])
    }

    private static func match(_ pat: ArraySlice<String>, _ parts: ArraySlice<String>) -> Bool {
        guard let first = pat.first else { return parts.isEmpty }
        if first == "**" {
            let rest = pat.dropFirst()
            var k = parts.startIndex
            while true {
                if match(rest, parts[k...]) { return true }
                if k == parts.endIndex { return false }
                k += 1
            }
        }
        guard let part = parts.first, matchSegment(Array(first.unicodeScalars)[...], Array(part.unicodeScalars)[...]) else { return false }
        return match(pat.dropFirst(), parts.dropFirst())
    }

    private static func matchSegment(_ p: ArraySlice<Unicode.Scalar>, _ s: ArraySlice<Unicode.Scalar>) -> Bool {
        guard let c = p.first else { return s.isEmpty }
        if c == "*" {
            let rest = p.dropFirst()
            var k = s.startIndex
            while true {
                if matchSegment(rest, s[k...]) { return true }
                if k == s.endIndex { return false }
                k += 1
            }
        }
        guard let f = s.first, f == c else { return false }
        return matchSegment(p.dropFirst(), s.dropFirst())
    }
}

/// `owner/name` of a GitHub remote URL: https://github.com/o/r(.git), git@github.com:o/r.git, ssh://git@host/o/r.git;
/// for a remote that is a path (`/srv/git/o/r.git`), its last two parts.
enum RemoteURL {
    static func repository(_ url: String, pathsToo: Bool = true) -> String? {
        var path: Substring
        if let scheme = url.range(of: "://") {
            let rest = url[scheme.upperBound...]
            guard let slash = rest.firstIndex(of: "/") else { return nil }
            path = rest[rest.index(after: slash)...]
        } else if let colon = url.firstIndex(of: ":"), url[..<colon].contains("@") || !url[..<colon].contains("/") {
            path = url[url.index(after: colon)...]
        } else if pathsToo {
            path = Substring(url)  // a path on this machine: its last two parts, as for a URL
        } else {
            return nil
        }
        if path.hasSuffix("/") { path = path.dropLast() }
        if path.hasSuffix(".git") { path = path.dropLast(4) }
        let parts = path.split(separator: "/")
        guard parts.count >= 2 else { return nil }
        return parts.suffix(2).joined(separator: "/")
    }

    /// `https://host/` of an http(s) remote URL, for a URL-scoped git setting.
    static func httpBase(_ url: String) -> String? {
        guard url.hasPrefix("https://") || url.hasPrefix("http://"), let scheme = url.range(of: "://") else { return nil }
        let rest = url[scheme.upperBound...]
        var host = rest.prefix { $0 != "/" }
        if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
        return "\(url[..<scheme.upperBound])\(host)/"
    }
}

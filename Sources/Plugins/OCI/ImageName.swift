/// A destination repository such as `ghcr.io/owner/name` or `127.0.0.1:5000/demo/app`:
/// the registry host and the repository name on it.
public struct ImageName: Sendable, Hashable, CustomStringConvertible {
    public let registry: String
    public let repository: String

    public init(_ text: String) throws(OCIError) {
        guard let slash = text.firstIndex(of: "/") else { throw .badImageName(text) }
        let host = String(text[..<slash]), repo = String(text[text.index(after: slash)...])
        // The first part is a registry host when it has a dot or a port, or is localhost.
        guard host.contains(".") || host.contains(":") || host == "localhost" else { throw .badImageName(text) }
        let parts = repo.split(separator: "/", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.allSatisfy({ p in
            !p.isEmpty && p.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") }
        }) else { throw .badImageName(text) }
        if text.contains("@") || repo.contains(":") { throw .badImageName(text) }
        registry = host
        repository = repo
    }

    public var description: String { "\(registry)/\(repository)" }
    /// Whether the registry is on this machine (the only place plain HTTP is expected).
    public var isLoopback: Bool {
        let host = registry.split(separator: ":").first.map(String.init) ?? registry
        return host == "localhost" || host.hasPrefix("127.") || host == "[::1]"
    }
}

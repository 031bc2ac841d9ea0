/// Errors that stop a run before any step starts (exit status 2).
public enum RunError: Error, Sendable, CustomStringConvertible {
    case usage(String)
    case manifest(ManifestError)
    case plugin(PluginError)
    /// Plugins that could not start or initialize, or do not provide what their descriptor says.
    case plugins([PluginError])
    case invalid([String])
    case git(String)
    case secrets([String])
    /// A file or folder that could not be read or written (or does not hold what it should): its path, and why.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .usage(let m), .git(let m): return m
        case .manifest(let e): return e.description
        case .plugin(let e): return e.description
        case .plugins(let list): return list.map(\.description).joined(separator: "\n")
        case .invalid(let list), .secrets(let list): return list.joined(separator: "\n")
        case .io(let path, let reason): return "\(path): \(reason)"
        }
    }
}

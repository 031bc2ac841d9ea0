import StepJournal
import StepPlugins
import StepManifest
import StepManifest
import StepPlugins
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
    /// A run record that could not be read or written (naming its path), or a run reference that names none.
    case journal(JournalError)

    public var description: String {
        switch self {
        case .usage(let m), .git(let m): return m
        case .manifest(let e): return e.description
        case .plugin(let e): return e.description
        case .plugins(let list): return list.map(\.description).joined(separator: "\n")
        case .invalid(let list), .secrets(let list): return list.joined(separator: "\n")
        case .journal(let e): return e.description
        }
    }
}

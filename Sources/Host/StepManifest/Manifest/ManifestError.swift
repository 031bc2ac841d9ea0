import StepYAML

/// Errors of the manifest subsystem: the file cannot be read, is not YAML, or does not validate.
public enum ManifestError: Error, Sendable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case yaml(YAMLError)
    case invalid([Diagnostic])

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): return "\(file): cannot read the manifest: \(reason)"
        case .yaml(let e): return e.description
        case .invalid(let list): return list.sorted().map(\.description).joined(separator: "\n")
        }
    }
}

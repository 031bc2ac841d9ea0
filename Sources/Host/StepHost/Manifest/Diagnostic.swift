import StepYAML

/// One problem found in a file, at `FILE:LINE:COLUMN`.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible, Comparable {
    public var file: String
    public var position: SourcePosition
    public var message: String

    public init(file: String, position: SourcePosition, message: String) {
        self.file = file
        self.position = position
        self.message = message
    }

    public var description: String { "\(file):\(position.line):\(position.column): \(message)" }

    public static func < (a: Diagnostic, b: Diagnostic) -> Bool {
        (a.file, a.position.line, a.position.column, a.message) < (b.file, b.position.line, b.position.column, b.message)
    }
}

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

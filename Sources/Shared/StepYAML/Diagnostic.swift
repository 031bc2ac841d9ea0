/// A problem at `FILE:LINE:COLUMN`: what the YAML parser rejects, and what
/// manifest and descriptor checks report.
public struct Diagnostic: Error, Sendable, Hashable, Comparable, CustomStringConvertible {
    public var file: String
    public var position: SourcePosition
    public var message: String

    public init(file: String, position: SourcePosition, message: String) {
        self.file = file
        self.position = position
        self.message = message
    }

    public var description: String {
        let origin = position.anchor.map { " \($0.note)" } ?? ""
        return "\(file):\(position.line):\(position.column): \(message)\(origin)"
    }

    public static func < (a: Diagnostic, b: Diagnostic) -> Bool {
        (a.file, a.position.line, a.position.column, a.message) < (b.file, b.position.line, b.position.column, b.message)
    }
}

/// Why a YAML text was rejected.
public typealias YAMLError = Diagnostic

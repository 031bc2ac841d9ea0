/// Why a YAML text was rejected, at `FILE:LINE:COLUMN`.
public struct YAMLError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var position: SourcePosition
    public var message: String

    public init(file: String, position: SourcePosition, message: String) {
        self.file = file
        self.position = position
        self.message = message
    }

    public var description: String { "\(file):\(position.line):\(position.column): \(message)" }
}

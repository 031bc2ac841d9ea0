/// One line of a run's output, and whether a plugin wrote it (its log, stderr or error text):
/// CI reporters keep those from issuing workflow commands.
public struct OutputLine: Sendable {
    public var text: String
    public var fromPlugin: Bool
    public init(text: String, fromPlugin: Bool) { self.text = text; self.fromPlugin = fromPlugin }
}

/// Why a plugin process could not answer a request: it exited, broke the
/// protocol, closed its stdout, or was terminated by the host.
public struct PluginFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable { case exited, protocolViolation, stdoutClosed, terminated, timedOut }
    public var kind: Kind
    public var message: String
    public var stderrTail: [String]

    public init(_ kind: Kind, _ message: String, stderrTail: [String] = []) {
        self.kind = kind
        self.message = message
        self.stderrTail = stderrTail
    }

    public var description: String { message + PluginError.tail(stderrTail) }
}

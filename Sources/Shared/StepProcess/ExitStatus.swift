/// How a process ended.
public enum ExitStatus: Sendable, Hashable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    public var description: String {
        switch self {
        case .exited(let c): return "exit status \(c)"
        case .signaled(let s): return "signal \(s) (\(ExitStatus.signalName(s)))"
        }
    }

    static func signalName(_ s: Int32) -> String {
        switch s {
        case 1: return "SIGHUP"
        case 2: return "SIGINT"
        case 6: return "SIGABRT"
        case 9: return "SIGKILL"
        case 11: return "SIGSEGV"
        case 13: return "SIGPIPE"
        case 15: return "SIGTERM"
        default: return "signal \(s)"
        }
    }
}

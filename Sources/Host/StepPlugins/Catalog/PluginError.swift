import StepProtocol

/// Errors of the plugin subsystem; each names the plugin and what the user can fix.
public enum PluginError: Error, Sendable, Hashable, CustomStringConvertible {
    case badDescriptor(file: String, message: String)
    case duplicateStep(step: String, files: [String])
    case unknownStep(step: String, available: [String])
    case spawnFailed(plugin: String, descriptor: String, reason: String)
    case initializeFailed(plugin: String, reason: String, stderr: [String])
    case initializeTimeout(plugin: String, seconds: Double, stderr: [String])
    case versionMismatch(plugin: String, host: Int, pluginVersion: Int)
    case missingStep(plugin: String, step: String, descriptor: String, reported: [String])
    case badOverride(String)
    /// A plugin recording (`--record`, `--replay`) that could not be written or read: its path, and why.
    case recording(path: String, reason: String)

    public var description: String {
        switch self {
        case .badDescriptor(_, let m): return "bad plugin descriptor: \(m)"
        case .duplicateStep(let step, let files): return "step '\(step)' is claimed by several descriptors in one folder: \(files.joined(separator: " and "))"
        case .unknownStep(let step, let available):
            return "no plugin provides step '\(step)'" + (available.isEmpty ? "" : " (available: \(available.joined(separator: ", ")))")
        case .spawnFailed(let p, let d, let r): return "plugin '\(p)' (descriptor \(d)) could not start: \(r)"
        case .initializeFailed(let p, let r, let e): return "plugin '\(p)' failed to initialize: \(r)" + PluginError.tail(e)
        case .initializeTimeout(let p, let s, let e):
            return "plugin '\(p)' did not answer initialize within \(StepDuration(milliseconds: Int(s * 1000))) (--init-timeout)" + PluginError.tail(e)
        case .versionMismatch(let p, let h, let v):
            return "plugin '\(p)' speaks protocol version \(v), but this stephost speaks version \(h)"
        case .missingStep(let p, let s, let d, let r):
            return "plugin '\(p)' (descriptor \(d)) does not provide step '\(s)' in its initialize answer (it reports: \(r.joined(separator: ", ")))"
        case .badOverride(let m): return m
        case .recording(let path, let reason): return "\(path): \(reason)"
        }
    }

    static func tail(_ lines: [String]) -> String {
        lines.isEmpty ? "" : "\n  last stderr lines:\n" + lines.map { "    \($0)" }.joined(separator: "\n")
    }
}

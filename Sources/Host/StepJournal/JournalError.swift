/// A run record that cannot be read or written, or a run that is not there.
public enum JournalError: Error, Sendable, CustomStringConvertible {
    /// A file or folder of a record that could not be read or written (or does not hold what it should): its path, and why.
    case io(path: String, reason: String)
    /// A run reference (`last`, an id, a prefix, a folder) that names no run, or several.
    case noSuchRun(String)

    public var description: String {
        switch self {
        case .io(let path, let reason): return "\(path): \(reason)"
        case .noSuchRun(let m): return m
        }
    }
}

import Foundation

/// Paths as the host reads them from the command line and manifests.
public enum Paths {
    /// `p` made absolute against `cwd` (unless it is already), `.` and `..` resolved.
    public static func absolute(_ p: String, _ cwd: String) -> String {
        p.hasPrefix("/") ? p : URL(fileURLWithPath: p, relativeTo: URL(fileURLWithPath: cwd, isDirectory: true)).standardizedFileURL.path
    }
}

import Foundation
import StepProtocol

/// A message for the CI system's annotations: a failed step, or a plugin's `log` of level error, warning or notice.
struct Annotation {
    var level: String
    var title: String?
    var message: String
    var file: String?
    var line: Int?
    var step: String

    /// A log notification's `file` as an annotation wants it: relative to the workspace; nil outside it.
    static func relativeFile(_ file: String?, workspace: String) -> String? {
        guard let file, !file.isEmpty else { return nil }
        guard file.hasPrefix("/") else { return file }
        let base = workspace.hasSuffix("/") ? workspace : workspace + "/"
        return file.hasPrefix(base) ? String(file.dropFirst(base.count)) : nil
    }

    /// The order the runner's limits favour: step failures, then errors, warnings, notices;
    /// at most `perLevel` of each level. Returns what is shown and what is left out.
    static func select(failures: [Annotation], logs: [Annotation], perLevel: Int = 10) -> (shown: [Annotation], left: [Annotation]) {
        var shown: [Annotation] = [], left: [Annotation] = []
        for level in ["error", "warning", "notice"] {
            let all = (level == "error" ? failures : []) + logs.filter { $0.level == level }
            shown += all.prefix(perLevel)
            left += all.dropFirst(perLevel)
        }
        return (shown, left)
    }
}

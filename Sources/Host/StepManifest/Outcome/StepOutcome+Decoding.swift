import Foundation
import StepProtocol

extension StepOutcome {
    /// Reads an outcome back from the journal or a summary; nil when it is not one.
    public init?(json: JSONValue) {
        guard let o = json.objectValue, let id = o["id"]?.stringValue, let uses = o["uses"]?.stringValue,
              let name = o["status"]?.stringValue,
              let status = name == "would-run" ? .success : StepStatus(rawValue: name) else { return nil }
        self.init(id: id, workflow: o["workflow"]?.stringValue ?? "", uses: uses, status: status,
                  reason: o["reason"]?.stringValue, attempts: o["attempts"]?.intValue ?? 0,
                  startedAt: o["startedAt"]?.stringValue.flatMap(Timestamp.parse),
                  durationMs: o["durationMs"]?.intValue ?? 0, outputs: o["outputs"]?.objectValue ?? [:],
                  summary: o["summary"]?.stringValue, error: o["error"]?.stringValue, hint: o["hint"]?.stringValue,
                  changed: o["changed"]?.boolValue, continuedOnError: o["continueOnError"]?.boolValue ?? false)
        wouldRun = name == "would-run"
        kind = o["kind"]?.stringValue ?? StepKind.defaults[uses] ?? StepKind.none
        hints = o["hints"]?.arrayValue?.compactMap(\.stringValue) ?? []
        ranIn = o["ranIn"]?.stringValue
    }
}

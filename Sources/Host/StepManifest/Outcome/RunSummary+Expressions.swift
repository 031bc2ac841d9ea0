import Foundation
import StepProtocol

extension RunSummary {
    /// The `steps` context of the finished run, as later steps saw it: `steps.<id>.status` and
    /// `.outputs`; a for-each step's outputs as an object from instance key to value.
    public var stepsContext: JSONValue {
        var steps: [String: JSONValue] = [:]
        var instances: [String: [(key: String, outcome: StepOutcome)]] = [:]
        var order: [String] = []
        for r in self.steps {
            if let open = r.id.firstIndex(of: "["), r.id.hasSuffix("]") {
                let base = String(r.id[..<open])
                if instances[base] == nil { order.append(base) }
                instances[base, default: []].append((String(r.id[r.id.index(after: open)..<r.id.index(before: r.id.endIndex)]), r))
            } else {
                steps[r.id] = ["status": .string(r.status.rawValue), "outputs": .object(r.outputs)]
            }
        }
        for base in order {
            let list = instances[base] ?? []
            let names = Set(list.flatMap(\.outcome.outputs.keys))
            var outputs: [String: JSONValue] = [:]
            for n in names {
                outputs[n] = .object(Dictionary(uniqueKeysWithValues: list.map { ($0.key, $0.outcome.outputs[n] ?? .null) }))
            }
            let statuses = list.map(\.outcome.status)
            let status: StepStatus = statuses.contains(.failure) ? .failure : statuses.contains(.cancelled) ? .cancelled
                : statuses.contains(.success) ? .success : .skipped
            steps[base] = ["status": .string(status.rawValue), "outputs": .object(outputs)]
        }
        return .object(steps)
    }

    /// Evaluates an expression (`steps.detect.outputs.processors`, with or without `${{ }}`) against the finished run.
    public func evaluate(_ expression: String) throws(ExpressionError) -> JSONValue {
        let text = expression.trimmingCharacters(in: .whitespaces)
        let template = try Template(text.hasPrefix("${{") ? text : "${{ \(text) }}")
        var ctx = EvaluationContext(contexts: ["steps": stepsContext, "run": ["id": .string(id), "workflow": .string(workflows.first ?? "")]])
        ctx.success = exitCode == 0
        ctx.failure = exitCode != 0
        return try template.evaluate(ctx)
    }
}

import StepManifest
import StepProtocol
import StepYAML

/// The expanded graph of a run without running anything: each step with the
/// inputs that can be known before it runs; inputs that read other steps'
/// outputs stay as their expression text.
public enum Planner {
    public struct Step: Sendable {
        public var workflow: String
        public var id: String
        public var uses: String
        public var needs: [String]
        public var forEach: String?
        public var condition: String?
        public var environment: String?
        public var secrets: [String]
        public var inputs: JSONValue

        public var json: JSONValue {
            .compactObject(["workflow": .string(workflow), "id": .string(id), "uses": .string(uses),
                            "needs": .array(needs.map(JSONValue.string)), "for-each": forEach.map(JSONValue.string),
                            "if": condition.map(JSONValue.string), "environment": environment.map(JSONValue.string),
                            "secrets": .array(secrets.map(JSONValue.string)), "with": inputs])
        }
    }

    public static func plan(_ p: PreparedRun) -> [Step] {
        var out: [Step] = []
        out.reserveCapacity(p.workflows.reduce(0) { $0 + $1.spec.steps.count })
        // The same for every step of a workflow in one environment: built once.
        var constants = ContextConstants()
        for (wf, graph) in p.workflows {
            for k in graph.order {
                let s = wf.steps[k]
                let envName = p.environment(ofStep: wf.name, s.id)
                let base = constants.base(workflow: wf.name, environment: envName, p)
                let needs = graph.dependencies[k].map { wf.steps[$0].id }
                let schema = p.descriptions[s.uses]?.inputs
                func make(_ id: String, _ ctx: EvaluationContext) -> Step {
                    Step(workflow: wf.name, id: id, uses: s.uses, needs: needs, forEach: s.forEachSource, condition: s.conditionSource,
                         environment: envName, secrets: s.secrets.map(\.name).sorted(), inputs: known(s.inputs, s.with, schema, ctx))
                }
                if let f = s.forEach, !f.expressions.contains(where: { $0.contextNames.contains("steps") }),
                   let items = (try? f.evaluate(base))?.arrayValue {
                    for (key, item) in zip(ForEachKeys.of(items), items) {
                        var ctx = base
                        ctx.contexts["item"] = item
                        out.append(make("\(s.id)[\(key)]", ctx))
                    }
                } else {
                    out.append(make(s.forEach == nil ? s.id : "\(s.id)[*]", base))
                }
            }
        }
        return out
    }

    /// Inputs with every expression evaluated that reads nothing unknown yet.
    static func known(_ inputs: InputTemplate?, _ node: YAMLNode?, _ schema: JSONValue?, _ ctx: EvaluationContext) -> JSONValue {
        guard let inputs, let node else { return .object([:]) }
        return (try? InputResolver.value(inputs, schema, ctx, keepUnknown: true)) ?? node.json
    }
}

import StepJournal
import StepManifest
import StepProtocol

/// What a CI system's engine needs to run a workflow in pieces: the instances of a for-each step,
/// its list evaluated from a recorded run's outputs (or known without one, a literal).
public enum FanOut {
    /// The instance keys of for-each step `id`, in list order.
    public static func keys(of id: String, in p: PreparedRun, record: RunJournal?) throws(RunError) -> [String] {
        guard let (wf, graph) = p.workflows.first, p.workflows.count == 1 else {
            throw .usage("name the workflow whose step fans out")
        }
        guard let k = graph.index(of: id) else {
            let ids = wf.steps.map(\.id)
            throw .usage("workflow '\(wf.name)' has no step '\(id)'\(Suggestion.didYouMean(id, in: ids)) (steps: \(ids.joined(separator: ", ")))")
        }
        let step = wf.steps[k]
        guard let forEach = step.forEach else { throw .usage("step '\(id)' has no for-each: there is nothing to fan out") }
        let reads = forEach.expressions.reduce(into: Set<String>()) { $0.formUnion($1.referencedSteps) }.sorted()
        var steps: [String: JSONValue] = [:]
        for r in reads {
            guard let record else {
                throw .usage("step '\(id)' iterates over \(step.forEachSource ?? "a list") read from step '\(r)': pass --resume RUN with a run where '\(r)' succeeded")
            }
            let ended = Runner.ended(r, workflow: wf.name, in: record)
            guard !ended.isEmpty, ended.allSatisfy(\.countsAsSuccess) else {
                throw .usage("step '\(id)' iterates over \(step.forEachSource ?? "a list") read from step '\(r)', which did not succeed in run \(record.id)")
            }
            steps[r] = ["status": "success", "outputs": .object(outputs(ended, of: r))]
        }
        var ctx = p.baseContext(workflow: wf.name, environment: p.environment(ofStep: wf.name, id))
        ctx.contexts["steps"] = .object(steps)
        let value: JSONValue
        do { value = try forEach.evaluate(ctx) } catch { throw .usage("step '\(id)': for-each: \(error.message)") }
        guard case .array(let items) = value else {
            throw .usage("step '\(id)': for-each must yield a list, got \(value.typeName) \(value.encoded().prefix(80))")
        }
        let keys = ForEachKeys.of(items)
        if let problem = ForEachKeys.problem(keys) { throw .usage("step '\(id)': \(problem)") }
        return keys
    }

    /// A step's outputs as expressions see them: a for-each step's are maps of instance key to value.
    static func outputs(_ ended: [StepOutcome], of id: String) -> [String: JSONValue] {
        guard ended.count != 1 || ended[0].id != id else { return ended[0].outputs }
        var out: [String: [String: JSONValue]] = [:]
        for r in ended {
            let key = String(r.id.dropFirst(id.count + 1).dropLast())
            for (name, v) in r.outputs { out[name, default: [:]][key] = v }
        }
        return out.mapValues(JSONValue.object)
    }

    /// GitHub's limit of legs in one matrix.
    public static let githubMatrixLimit = 256

    /// `{"include": [{"only", "key", "name"}, …]}`: a leg per instance, or, past GitHub's limit or with
    /// `chunks`, at most that many legs with the instances dealt round-robin.
    public static func githubMatrix(step id: String, keys: [String], chunks: Int?) -> JSONValue {
        let limit = min(chunks ?? githubMatrixLimit, githubMatrixLimit)
        guard chunks != nil || keys.count > limit else {
            return ["include": .array(keys.map { ["only": .string("\(id)[\($0)]"), "key": .string($0), "name": .string("\(id)[\($0)]")] })]
        }
        let legs = min(limit, keys.count)
        var dealt = [[String]](repeating: [], count: legs)
        for (n, k) in keys.enumerated() { dealt[n % legs].append(k) }
        return ["include": .array(dealt.enumerated().map { i, ks in
            let key = ks.joined(separator: ",")
            return ["only": .string("\(id)[\(key)]"), "key": .string(key), "name": .string("\(id) (chunk \(i + 1)/\(legs))")]
        })]
    }
}

extension FanOut {
    /// A workflow cut for a matrix at for-each step `id`: what runs before it (everything it needs),
    /// what each leg runs (it, and the for-each steps over the same list that follow it, need nothing
    /// else and leave the checkout alone, such as a push after a build; or `legs` when given), and
    /// the rest, after the legs.
    public struct Split: Sendable {
        public var before: [String]
        public var legs: [String]
        public var after: [String]
    }

    /// Bundled steps that change nothing in the checkout, so a leg may run them (a pin or a commit must
    /// happen where the pull request is made from: the final job).
    public static let legSteps: Set<String> = ["docker-build", "ghcr-push", "smoke-test"]

    public static func split(_ p: PreparedRun, at id: String, legs given: [String]? = nil) throws(RunError) -> Split {
        guard let (wf, graph) = p.workflows.first, p.workflows.count == 1 else { throw .usage("name the workflow to fan out") }
        guard let k = graph.index(of: id) else {
            let ids = wf.steps.map(\.id)
            throw .usage("--fan-out: workflow '\(wf.name)' has no step '\(id)'\(Suggestion.didYouMean(id, in: ids)) (steps: \(ids.joined(separator: ", ")))")
        }
        guard let source = wf.steps[k].forEachSource else {
            throw .usage("--fan-out \(id): step '\(id)' has no for-each, so there is nothing to spread over machines")
        }
        let before = graph.ancestors(of: k)
        var legs: Set<Int> = [k]
        if let given {
            for g in given where g != id {
                guard let j = graph.index(of: g) else { throw .usage("--legs: workflow '\(wf.name)' has no step '\(g)'") }
                guard wf.steps[j].forEachSource == source, graph.dependsOn(j, k),
                      graph.dependencies[j].allSatisfy({ legs.contains($0) || before.contains($0) || given.contains(wf.steps[$0].id) }) else {
                    throw .usage("--legs: step '\(g)' cannot run in a leg: it must iterate over the same list as '\(id)', follow it, and need nothing that runs after the legs")
                }
                legs.insert(j)
            }
        } else {
            for j in graph.order where j != k && wf.steps[j].forEachSource == source && graph.dependsOn(j, k) && legSteps.contains(wf.steps[j].uses) {
                if graph.dependencies[j].allSatisfy({ legs.contains($0) || before.contains($0) }) { legs.insert(j) }
            }
        }
        let ids = { (set: Set<Int>) in graph.order.filter(set.contains).map { wf.steps[$0].id } }
        return Split(before: ids(before), legs: ids(legs),
                     after: graph.order.filter { !before.contains($0) && !legs.contains($0) }.map { wf.steps[$0].id })
    }
}

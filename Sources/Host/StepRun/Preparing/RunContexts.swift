import StepManifest
import StepProtocol

/// The rules for a run's `run`, `vars` and `env` contexts and each step's environment: what they
/// are made of is known once the manifest is read and the run has an id, before any plugin starts.
/// Preparation uses them (`Runner.Setup.contexts`) and the prepared run keeps them.
struct RunContexts: Sendable {
    let runID: String
    let request: RunRequest
    let context: RunContext
    let manifest: Manifest

    /// `params.run`: the run's environment (`--env`); a step's own is `params.step.environment`.
    func runInfo(workflow: String, failures: [JSONValue] = []) -> StepRunRequest.Run {
        StepRunRequest.Run(id: runID, workflow: workflow, environment: request.environment, event: context.event,
                           branch: context.branch, sha: context.sha, base: context.base, failures: failures)
    }

    /// The `run` context: `params.run` and `run.trusted` (plugins are told nothing new); `failures` are the
    /// steps that failed so far (none before the run starts).
    func run(workflow: String, failures: [JSONValue] = []) -> JSONValue {
        guard case .object(var o) = runInfo(workflow: workflow, failures: failures).json else { return .null }
        o["trusted"] = .bool(context.trusted)
        return .object(o)
    }

    /// The `vars` context of an environment, with `--var` over it.
    func vars(for environment: String?) -> JSONValue {
        var v = environment.flatMap { manifest.environment(named: $0)?.vars } ?? [:]
        for (k, x) in request.vars { v[k] = .string(x) }
        return .object(v)
    }

    /// The `env` context of a workflow, from the resolved `env:` of each workflow.
    static func env(_ resolved: [String: [String: String]], workflow: String) -> JSONValue {
        .object((resolved[workflow] ?? [:]).mapValues(JSONValue.string))
    }

    /// A step's environment by "workflow/step": its own, else the run's (`--env`).
    func environment(ofStep key: String, own: [String: String?]) -> String? { own[key] ?? request.environment }
}

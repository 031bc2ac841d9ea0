import Foundation
import StepManifest
import StepMask
import StepPlugins
import StepProtocol

/// A run whose manifest, plugins, inputs and secrets have all been checked:
/// what stays is to schedule its steps.
public final class PreparedRun: Sendable {
    public let request: RunRequest
    public let manifest: Manifest
    public let workspace: String
    public let context: RunContext
    public let runID: String
    public let pool: PluginPool
    public let masker: Masker
    public let catalog: PluginCatalog
    /// The workflows that will run, with their graphs.
    public let workflows: [(spec: WorkflowSpec, graph: WorkflowGraph)]
    public let skippedWorkflows: [(name: String, reason: String)]
    /// Step name → the plugin that provides it, and what it said of the step.
    public let plugins: [String: PluginDescriptor]
    public let descriptions: [String: StepDescription]
    public let capabilities: [String: Capabilities]
    /// Per workflow: the `env` context (top-level env, then the workflow's).
    public let envContexts: [String: [String: String]]
    /// Where plugin stderr lines go; `Runner.execute` points it at the run's reporters.
    let relay: ReporterRelay
    /// "workflow/step" → environment name and resolved secrets.
    let stepEnvironments: [String: String?]
    let stepSecrets: [String: [String: String]]
    /// "workflow/step" → what its result depends on in the manifest.
    public let fingerprints: [String: StepFingerprint]
    /// With `--resume`: the run resumed, and its successful steps that are reused, by
    /// "workflow/instance id" (`deploy/build[api]`), whether or not that run showed workflow names.
    public let resumedFrom: String?
    public let reusable: [String: StepOutcome]
    /// `--only` or `--until`, checked against the workflow: what may start (nil: everything).
    public let selection: StepSelection?
    /// "workflow/step" → why an untrusted run skips it (`untrusted: secrets withheld`).
    public let withheld: [String: String]
    /// What runs each attempt: the plugins, or an in-memory runner in tests and benchmarks.
    public let runner: AttemptRunner

    init(_ setup: Runner.Setup, _ plugins: Runner.PluginSet, decisions d: Runner.Decisions, pool: PluginPool, masker: Masker,
         relay: ReporterRelay, runner: AttemptRunner?) {
        request = setup.request; manifest = setup.manifest; workspace = setup.workspace; context = setup.context; runID = setup.runID
        catalog = setup.catalog; workflows = setup.graphs; skippedWorkflows = setup.skipped
        self.pool = pool; self.masker = masker; self.relay = relay
        self.plugins = plugins.descriptors; descriptions = plugins.descriptions; capabilities = plugins.capabilities
        envContexts = d.envContexts; stepEnvironments = d.stepEnvironments; stepSecrets = d.stepSecrets
        fingerprints = d.fingerprints; resumedFrom = d.resumedFrom; reusable = d.reusable; selection = d.selection
        withheld = d.withheld
        self.runner = runner ?? PluginAttemptRunner(pool: pool, workspace: setup.workspace, cancelGrace: setup.request.cancelGrace)
    }

    /// The rules for its `run`, `vars` and `env` contexts.
    var contexts: RunContexts { RunContexts(runID: runID, request: request, context: context, manifest: manifest) }

    /// `params.run`: the run's environment (`--env`); a step's own is `params.step.environment`.
    public func runInfo(workflow: String, failures: [JSONValue] = []) -> StepRunRequest.Run {
        contexts.runInfo(workflow: workflow, failures: failures)
    }

    /// The `run` context; `failures` are the steps that failed so far (none before the run starts).
    public func runContextJSON(workflow: String, failures: [JSONValue] = []) -> JSONValue {
        contexts.run(workflow: workflow, failures: failures)
    }

    /// The `env`, `vars` and `run` contexts of a step of `workflow` in `environment`, before any step has run.
    public func baseContext(workflow: String, environment: String?) -> EvaluationContext {
        var constants = ContextConstants()
        return constants.base(workflow: workflow, environment: environment, self)
    }

    /// A step's kind for metrics: its `kind:`, else what its plugin declared, else the default for its step name.
    public func kind(of step: StepSpec) -> String {
        StepKind.of(uses: step.uses, manifest: step.kind, declared: descriptions[step.uses]?.kind)
    }

    /// The `vars` context of an environment, with `--var` over it.
    public func vars(for environment: String?) -> JSONValue { contexts.vars(for: environment) }

    public func environment(ofStep wf: String, _ id: String) -> String? { environment(ofStep: "\(wf)/\(id)") }
    public func secrets(ofStep wf: String, _ id: String) -> [String: String] { secrets(ofStep: "\(wf)/\(id)") }
    /// By "workflow/step" key.
    func environment(ofStep key: String) -> String? { contexts.environment(ofStep: key, own: stepEnvironments) }
    func secrets(ofStep key: String) -> [String: String] { stepSecrets[key] ?? [:] }
}

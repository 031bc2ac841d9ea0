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

    /// `params.run` and the `run` context: the run's environment (`--env`); a step's own is `params.step.environment`.
    public func runInfo(workflow: String, failures: [JSONValue] = []) -> StepRunRequest.Run {
        Self.runInfo(id: runID, request: request, context: context, workflow: workflow, failures: failures)
    }

    static func runInfo(id: String, request: RunRequest, context: RunContext, workflow: String, failures: [JSONValue]) -> StepRunRequest.Run {
        StepRunRequest.Run(id: id, workflow: workflow, environment: request.environment, event: context.event,
                           branch: context.branch, sha: context.sha, base: context.base, failures: failures)
    }

    /// The `run` context; `failures` are the steps that failed so far (none before the run starts).
    public func runContextJSON(workflow: String, failures: [JSONValue] = []) -> JSONValue {
        Self.withTrust(runInfo(workflow: workflow, failures: failures).json, context)
    }

    /// `run.trusted` in expressions (not in `params.run`: plugins are told nothing new).
    static func withTrust(_ run: JSONValue, _ context: RunContext) -> JSONValue {
        guard case .object(var o) = run else { return run }
        o["trusted"] = .bool(context.trusted)
        return .object(o)
    }

    /// The `env`, `vars` and `run` contexts of a step of `workflow` in `environment`, before any step has run.
    public func baseContext(workflow: String, environment: String?) -> EvaluationContext {
        var constants = ContextConstants()
        return constants.base(workflow: workflow, environment: environment, self)
    }

    /// The `env` context of a workflow, from the resolved `env:` of each workflow.
    static func envContext(_ contexts: [String: [String: String]], _ workflow: String) -> JSONValue {
        .object((contexts[workflow] ?? [:]).mapValues(JSONValue.string))
    }

    /// A step's kind for metrics: its `kind:`, else what its plugin declared, else the default for its step name.
    public func kind(of step: StepSpec) -> String {
        StepKind.of(uses: step.uses, manifest: step.kind, declared: descriptions[step.uses]?.kind)
    }

    /// The `vars` context of an environment, with `--var` over it.
    public func vars(for environment: String?) -> JSONValue { Self.vars(manifest, request, environment: environment) }

    static func vars(_ manifest: Manifest, _ request: RunRequest, environment: String?) -> JSONValue {
        var v = environment.flatMap { manifest.environment(named: $0)?.vars } ?? [:]
        for (k, x) in request.vars { v[k] = .string(x) }
        return .object(v)
    }

    public func environment(ofStep wf: String, _ id: String) -> String? { environment(ofStep: "\(wf)/\(id)") }
    public func secrets(ofStep wf: String, _ id: String) -> [String: String] { secrets(ofStep: "\(wf)/\(id)") }
    /// By "workflow/step" key.
    func environment(ofStep key: String) -> String? { Self.environment(ofStep: key, stepEnvironments, request) }
    /// A step's own environment, else the run's (`--env`).
    static func environment(ofStep key: String, _ own: [String: String?], _ request: RunRequest) -> String? {
        own[key] ?? request.environment
    }
    func secrets(ofStep key: String) -> [String: String] { stepSecrets[key] ?? [:] }
}

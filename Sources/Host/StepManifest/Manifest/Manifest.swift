import StepProtocol
import StepYAML

/// A parsed `stephost.yaml`: what `docs/manifest.md` describes, with source positions.
public struct Manifest: Sendable {
    public init(file: String, version: Int, env: [EnvEntry], environments: [EnvironmentSpec], workflows: [WorkflowSpec]) {
        self.file = file; self.version = version; self.env = env; self.environments = environments; self.workflows = workflows
    }

    public var file: String
    public var version: Int
    public var env: [EnvEntry]
    public var environments: [EnvironmentSpec]
    public var workflows: [WorkflowSpec]
    /// `pass-env:`: host variables (names, or prefixes ending in `*`) that plugins and exec commands also see.
    public var passEnv: [String] = []
    /// `override:`: bundled step names a descriptor inside the workspace may serve instead of stephost's own.
    public var overrides: [String] = []
    /// `hints:`: the team's troubleshooting table, matched against a failed step's error, hint and last log lines.
    public var hints: [HintRule] = []
    /// Host variables named by a secret source (`env:VAR`) of any environment: never passed to a plugin.
    public var secretVariables: Set<String> {
        Set(environments.flatMap { $0.secrets.filter { $0.kind == .env }.map(\.reference) })
    }
    /// Each workflow's dependency graph, built once when the manifest is loaded.
    public var graphs: [String: WorkflowGraph] = [:]
    /// The top-level `env:` as written, for fingerprints (converted to JSON only when asked).
    public var envNode: YAMLNode?
    public var envDefinition: JSONValue { envNode?.json ?? .null }

    public func environment(named name: String) -> EnvironmentSpec? { environments.first { $0.name == name } }

    /// The graph of a workflow of this manifest.
    public func graph(of wf: WorkflowSpec) -> WorkflowGraph { graphs[wf.name] ?? WorkflowGraph(workflow: wf, file: file) }
    public func workflow(named name: String) -> WorkflowSpec? { workflows.first { $0.name == name } }
}

/// One `NAME: value` of an `env:` map; the value may hold expressions.
public struct EnvEntry: Sendable, Hashable {
    public var name: String
    public var value: Template
    public var position: SourcePosition
}

/// A named deployment target: its `vars` and where its secrets come from.
public struct EnvironmentSpec: Sendable {
    public var name: String
    public var vars: [String: JSONValue]
    public var secrets: [SecretSource]
    public var position: SourcePosition
    /// The environment as written, for fingerprints.
    public var node: YAMLNode?
    public var definition: JSONValue { node?.json ?? .null }
}

/// `NAME: env:VAR` or `NAME: file:PATH`; with a `?` after it, optional: unset (or empty, or no such
/// file) is the empty string instead of an error, for what is configured in CI only (alerts).
public struct SecretSource: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable { case env, file }
    public var name: String
    public var kind: Kind
    public var reference: String
    public var position: SourcePosition
    public var optional = false
    public var description: String { "\(kind.rawValue):\(reference)\(optional ? "?" : "")" }
}

public struct WorkflowSpec: Sendable {
    public var name: String
    public var triggers: [Trigger]
    public var env: [EnvEntry]
    public var steps: [StepSpec]
    public var position: SourcePosition
    /// The workflow's `env:` as written, for fingerprints.
    public var envNode: YAMLNode?
    public var envDefinition: JSONValue { envNode?.json ?? .null }

    public func step(_ id: String) -> StepSpec? { steps.first { $0.id == id } }
}

/// One entry of `on:`.
public struct Trigger: Sendable, Hashable {
    public var event: String
    public var branches: [String]?
    public var paths: [String]?
    public var labels: [String]?
}

/// `retry: {attempts, backoff, when}`.
public struct RetryPolicy: Sendable, Hashable {
    public enum When: String, Sendable { case retryable, always }
    public var attempts: Int
    public var backoff: StepDuration
    public var when: When
    public static let none = RetryPolicy(attempts: 1, backoff: .seconds(1), when: .retryable)
    public init(attempts: Int, backoff: StepDuration, when: When) { self.attempts = attempts; self.backoff = backoff; self.when = when }
}

/// One entry of a workflow's `steps:`.
///
/// A value whose fields live in one shared box, copied only when a copy changes: steps are
/// passed around whole (graphs, plans, jobs) many times a run, and a field-by-field copy
/// retained each of its twenty fields every time.
public struct StepSpec: Sendable {
    private final class Fields: @unchecked Sendable {
        var id: String
        var uses: String
        var with: YAMLNode?
        var inputs: InputTemplate?
        var needs: [String]?
        var forEach: Template?
        var forEachSource: String?
        var maxParallel: Int?
        var timeout: StepDuration
        var retry: RetryPolicy
        var continueOnError: Bool
        var condition: Expression?
        var conditionSource: String?
        var environment: Template?
        var secrets: [(name: String, source: String)]
        var env: [EnvEntry]
        var kind: String?
        var position: SourcePosition
        var node: YAMLNode?
        init(id: String, uses: String, with: YAMLNode?, inputs: InputTemplate?, needs: [String]?, forEach: Template?, forEachSource: String?, maxParallel: Int?, timeout: StepDuration, retry: RetryPolicy, continueOnError: Bool, condition: Expression?, conditionSource: String?, environment: Template?, secrets: [(name: String, source: String)], env: [EnvEntry], kind: String?, position: SourcePosition, node: YAMLNode?) {
            self.id = id
            self.uses = uses
            self.with = with
            self.inputs = inputs
            self.needs = needs
            self.forEach = forEach
            self.forEachSource = forEachSource
            self.maxParallel = maxParallel
            self.timeout = timeout
            self.retry = retry
            self.continueOnError = continueOnError
            self.condition = condition
            self.conditionSource = conditionSource
            self.environment = environment
            self.secrets = secrets
            self.env = env
            self.kind = kind
            self.position = position
            self.node = node
        }

        func copy() -> Fields {
            Fields(id: id, uses: uses, with: with, inputs: inputs, needs: needs, forEach: forEach, forEachSource: forEachSource, maxParallel: maxParallel, timeout: timeout, retry: retry, continueOnError: continueOnError, condition: condition, conditionSource: conditionSource, environment: environment, secrets: secrets, env: env, kind: kind, position: position, node: node)
        }
    }

    private var fields: Fields

    /// The box, copied first when another value shares it.
    private mutating func unique() -> Fields {
        if !isKnownUniquelyReferenced(&fields) { fields = fields.copy() }
        return fields
    }

    public init(id: String, uses: String, with: YAMLNode?, inputs: InputTemplate? = nil, needs: [String]?, forEach: Template?, forEachSource: String?, maxParallel: Int?, timeout: StepDuration, retry: RetryPolicy, continueOnError: Bool, condition: Expression?, conditionSource: String?, environment: Template?, secrets: [(name: String, source: String)], env: [EnvEntry], kind: String? = nil, position: SourcePosition, node: YAMLNode?) {
        fields = Fields(id: id, uses: uses, with: with, inputs: inputs, needs: needs, forEach: forEach, forEachSource: forEachSource, maxParallel: maxParallel, timeout: timeout, retry: retry, continueOnError: continueOnError, condition: condition, conditionSource: conditionSource, environment: environment, secrets: secrets, env: env, kind: kind, position: position, node: node)
    }

    public var id: String {
        get { fields.id }
        _modify { let f = unique(); yield &f.id }
    }
    public var uses: String {
        get { fields.uses }
        _modify { let f = unique(); yield &f.uses }
    }
    public var with: YAMLNode? {
        get { fields.with }
        _modify { let f = unique(); yield &f.with }
    }
    /// `with:` compiled once (see `InputTemplate`).
    public var inputs: InputTemplate? {
        get { fields.inputs }
        _modify { let f = unique(); yield &f.inputs }
    }
    /// nil: the step after the one before it; []: none.
    public var needs: [String]? {
        get { fields.needs }
        _modify { let f = unique(); yield &f.needs }
    }
    public var forEach: Template? {
        get { fields.forEach }
        _modify { let f = unique(); yield &f.forEach }
    }
    public var forEachSource: String? {
        get { fields.forEachSource }
        _modify { let f = unique(); yield &f.forEachSource }
    }
    public var maxParallel: Int? {
        get { fields.maxParallel }
        _modify { let f = unique(); yield &f.maxParallel }
    }
    public var timeout: StepDuration {
        get { fields.timeout }
        _modify { let f = unique(); yield &f.timeout }
    }
    public var retry: RetryPolicy {
        get { fields.retry }
        _modify { let f = unique(); yield &f.retry }
    }
    public var continueOnError: Bool {
        get { fields.continueOnError }
        _modify { let f = unique(); yield &f.continueOnError }
    }
    public var condition: Expression? {
        get { fields.condition }
        _modify { let f = unique(); yield &f.condition }
    }
    public var conditionSource: String? {
        get { fields.conditionSource }
        _modify { let f = unique(); yield &f.conditionSource }
    }
    public var environment: Template? {
        get { fields.environment }
        _modify { let f = unique(); yield &f.environment }
    }
    /// Name the plugin sees → name in the environment.
    public var secrets: [(name: String, source: String)] {
        get { fields.secrets }
        _modify { let f = unique(); yield &f.secrets }
    }
    public var env: [EnvEntry] {
        get { fields.env }
        _modify { let f = unique(); yield &f.env }
    }
    /// `kind:` for metrics (`build`, `deploy`, `test`, any word); nil: the plugin's default.
    public var kind: String? {
        get { fields.kind }
        _modify { let f = unique(); yield &f.kind }
    }
    public var position: SourcePosition {
        get { fields.position }
        _modify { let f = unique(); yield &f.position }
    }
    /// The step as written, for fingerprints and for where each of its keys was written.
    public var node: YAMLNode? {
        get { fields.node }
        _modify { let f = unique(); yield &f.node }
    }
    public var definition: JSONValue { node?.json ?? .null }

    /// Where the value of one of the step's keys was written, for messages (the step's own position without it).
    public func position(of key: String) -> SourcePosition { node?[key]?.position ?? position }

    /// The `if`, with `success() &&` in front when it calls no status function.
    public var effectiveCondition: Expression {
        guard let c = condition else { return .call("success", []) }
        return c.callsStatusFunction ? c : .binary(.and, .call("success", []), c)
    }
}

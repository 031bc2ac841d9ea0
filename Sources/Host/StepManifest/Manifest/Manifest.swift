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
/// retained each of its twenty fields every time. The fields are `Fields`, listed once; a step
/// reads and writes them as its own (`step.id`, `step.retry.attempts = 3`).
@dynamicMemberLookup
public struct StepSpec: Sendable {
    public struct Fields: Sendable {
        public var id = ""
        public var uses = ""
        public var with: YAMLNode?
        /// `with:` compiled once (see `InputTemplate`).
        public var inputs: InputTemplate?
        /// nil: the step after the one before it; []: none.
        public var needs: [String]?
        public var forEach: Template?
        public var forEachSource: String?
        public var maxParallel: Int?
        public var timeout: StepDuration
        public var retry = RetryPolicy.none
        public var continueOnError = false
        public var condition: Expression?
        public var conditionSource: String?
        public var environment: Template?
        /// Name the plugin sees → name in the environment.
        public var secrets: [(name: String, source: String)] = []
        public var env: [EnvEntry] = []
        /// `kind:` for metrics (`build`, `deploy`, `test`, any word); nil: the plugin's default.
        public var kind: String?
        public var position: SourcePosition
        /// The step as written, for fingerprints and for where each of its keys was written.
        public var node: YAMLNode?
    }

    @usableFromInline final class Box: @unchecked Sendable {
        @usableFromInline var fields: Fields
        @usableFromInline init(_ fields: Fields) { self.fields = fields }
    }

    @usableFromInline var box: Box

    public init(_ fields: Fields) { box = Box(fields) }

    /// Inlinable, so each use compiles to a plain field access, not a key path looked up at run time.
    @inlinable
    public subscript<Value>(dynamicMember field: WritableKeyPath<Fields, Value>) -> Value {
        get { box.fields[keyPath: field] }
        _modify {
            // The box is copied first when another value shares it.
            if !isKnownUniquelyReferenced(&box) { box = Box(box.fields) }
            yield &box.fields[keyPath: field]
        }
    }

    public var definition: JSONValue { self.node?.json ?? .null }

    /// Where the step was written (a stored field; named here because `position(of:)` shares the name).
    public var position: SourcePosition { box.fields.position }

    /// Where the value of one of the step's keys was written, for messages (the step's own position without it).
    public func position(of key: String) -> SourcePosition { self.node?[key]?.position ?? position }

    /// The `if`, with `success() &&` in front when it calls no status function.
    public var effectiveCondition: Expression {
        guard let c = self.condition else { return .call("success", []) }
        return c.callsStatusFunction ? c : .binary(.and, .call("success", []), c)
    }
}

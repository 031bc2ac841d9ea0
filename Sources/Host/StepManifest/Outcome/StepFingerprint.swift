import StepProtocol

/// What a step's result depends on in the manifest, as one short hash per
/// part: each key of the step as written, the top-level and workflow `env:`,
/// the environment it runs in, and the `vars` it sees. Stored with each
/// finished step in the journal; `--resume` reuses a step only when its
/// fingerprint is unchanged, and names the parts that changed when not.
public struct StepFingerprint: Sendable, Hashable {
    /// Each part's name and digest, sorted by name: a run keeps one fingerprint per step, and an
    /// array holds them in less than half the room of a table.
    private var sorted: [Part]
    private struct Part: Sendable, Hashable { var name: String; var digest: String }

    /// Part name → digest.
    public var parts: [String: String] { Dictionary(uniqueKeysWithValues: sorted.map { ($0.name, $0.digest) }) }

    public init(parts: [String: String]) { sorted = parts.map { Part(name: $0.key, digest: $0.value) }.sorted { $0.name < $1.name } }

    public init(step: StepSpec, workflow: WorkflowSpec, manifest: Manifest, environment: String?, vars: JSONValue) {
        self.init(step: step, context: StepFingerprint.contextParts(workflow: workflow, manifest: manifest, environment: environment, vars: vars))
    }

    /// `context` holds the parts that do not come from the step itself (see `contextParts`).
    public init(step: StepSpec, context: [String: String]) {
        let definition = step.definition.objectValue ?? [:]
        var p: [Part] = []
        p.reserveCapacity(context.count + definition.count)
        for (k, v) in context { p.append(Part(name: k, digest: v)) }
        for (k, v) in definition { p.append(Part(name: "step.\(k)", digest: StepFingerprint.digest(v))) }
        p.sort { $0.name < $1.name }
        sorted = p
    }

    /// The parts every step of a workflow in one environment shares.
    public static func contextParts(workflow: WorkflowSpec, manifest: Manifest, environment: String?, vars: JSONValue) -> [String: String] {
        [
            "env": digest(manifest.envDefinition),
            "workflow env": digest(workflow.envDefinition),
            "environment": digest(.array([
                environment.map(JSONValue.string) ?? .null, environment.flatMap { manifest.environment(named: $0)?.definition } ?? .null,
            ])),
            "vars": digest(vars),
        ]
    }

    /// The first 16 hex digits of the SHA-256 of the value's canonical JSON (keys sorted).
    static func digest(_ v: JSONValue) -> String {
        var bytes: [UInt8] = []
        v.write(to: &bytes)
        return SHA256.lowercaseHex(SHA256.hash(bytes).prefix(8))
    }

    public var json: JSONValue { .object(Dictionary(uniqueKeysWithValues: sorted.map { ($0.name, JSONValue.string($0.digest)) })) }

    public init?(json: JSONValue?) {
        guard let o = json?.objectValue else { return nil }
        var p: [String: String] = [:]
        for (k, v) in o { guard let s = v.stringValue else { return nil }; p[k] = s }
        self.init(parts: p)
    }

    /// What differs from an earlier fingerprint, in words: `with, timeout changed; retry added`.
    public func changes(since old: StepFingerprint) -> String {
        let parts = self.parts, oldParts = old.parts
        func label(_ k: String) -> String { k.hasPrefix("step.") ? String(k.dropFirst(5)) : k }
        let changed = parts.keys.filter { oldParts[$0] != nil && oldParts[$0] != parts[$0] }.map(label).sorted()
        let added = parts.keys.filter { oldParts[$0] == nil }.map(label).sorted()
        let removed = oldParts.keys.filter { parts[$0] == nil }.map(label).sorted()
        var out: [String] = []
        if !changed.isEmpty { out.append("\(changed.joined(separator: ", ")) changed") }
        if !added.isEmpty { out.append("\(added.joined(separator: ", ")) added") }
        if !removed.isEmpty { out.append("\(removed.joined(separator: ", ")) removed") }
        return out.joined(separator: "; ")
    }
}

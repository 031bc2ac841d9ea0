/// One step a plugin provides: its name, and the schema of its inputs.
public struct StepDescription: Sendable, Hashable {
    public var name: String
    public var description: String?
    /// A JSON Schema (the subset in `JSONSchema`), or nil for "anything".
    public var inputs: JSONValue?
    /// Output names and what they mean.
    public var outputs: JSONValue?
    /// What the step is for in metrics (`build`, `publish`, `deploy`, `test`, ...); a manifest's `kind:` wins.
    public var kind: String?

    public init(name: String, description: String? = nil, inputs: JSONValue? = nil, outputs: JSONValue? = nil, kind: String? = nil) {
        self.name = name
        self.description = description
        self.inputs = inputs
        self.outputs = outputs
        self.kind = kind
    }

    public init(json: JSONValue, path: String) throws(FieldError) {
        let f = try Fields(json, path: path)
        name = try f.string("name")
        description = try f.optionalString("description")
        inputs = f.optional("inputs")
        outputs = f.optional("outputs")
        kind = try f.optionalString("kind")
    }

    public var json: JSONValue {
        .compactObject(["name": .string(name), "description": description.map(JSONValue.string), "inputs": inputs, "outputs": outputs,
                        "kind": kind.map(JSONValue.string)])
    }
}

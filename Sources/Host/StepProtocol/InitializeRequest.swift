/// `initialize`: the first request the host sends to a plugin process.
public struct InitializeRequest: RequestType, Hashable {
    public static let method = "initialize"
    public typealias Response = InitializeResult

    /// The protocol version this code speaks.
    public static let currentProtocolVersion = 1

    public var protocolVersion: Int
    public var hostName: String
    public var hostVersion: String

    public init(protocolVersion: Int = InitializeRequest.currentProtocolVersion, hostName: String = "stephost", hostVersion: String) {
        self.protocolVersion = protocolVersion
        self.hostName = hostName
        self.hostVersion = hostVersion
    }

    public init(json: JSONValue) throws(FieldError) {
        let f = try Fields(json)
        protocolVersion = try f.int("protocolVersion")
        let host = f.optional("host")
        hostName = host?["name"]?.stringValue ?? ""
        hostVersion = host?["version"]?.stringValue ?? ""
    }

    public var json: JSONValue {
        ["protocolVersion": .int(protocolVersion), "host": ["name": .string(hostName), "version": .string(hostVersion)]]
    }
}

/// What a plugin says of itself in answer to `initialize`.
public struct InitializeResult: JSONConvertible, Hashable {
    public var protocolVersion: Int
    public var pluginName: String
    public var pluginVersion: String
    public var steps: [StepDescription]
    public var capabilities: Capabilities

    public init(protocolVersion: Int = InitializeRequest.currentProtocolVersion, pluginName: String, pluginVersion: String,
                steps: [StepDescription], capabilities: Capabilities = Capabilities()) {
        self.protocolVersion = protocolVersion
        self.pluginName = pluginName
        self.pluginVersion = pluginVersion
        self.steps = steps
        self.capabilities = capabilities
    }

    public init(json: JSONValue) throws(FieldError) {
        let f = try Fields(json, path: "result")
        protocolVersion = try f.int("protocolVersion")
        let plugin = f.optional("plugin")
        pluginName = plugin?["name"]?.stringValue ?? ""
        pluginVersion = plugin?["version"]?.stringValue ?? ""
        guard let list = f.optional("steps")?.arrayValue else {
            throw FieldError(path: "result.steps", message: "required list of steps is missing")
        }
        var steps: [StepDescription] = []
        for (i, s) in list.enumerated() { steps.append(try StepDescription(json: s, path: "result.steps[\(i)]")) }
        self.steps = steps
        capabilities = try Capabilities(json: f.optional("capabilities") ?? [:])
    }

    public var json: JSONValue {
        ["protocolVersion": .int(protocolVersion),
         "plugin": ["name": .string(pluginName), "version": .string(pluginVersion)],
         "steps": .array(steps.map(\.json)),
         "capabilities": capabilities.json]
    }
}

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

/// What a plugin process can do.
public struct Capabilities: Sendable, Hashable {
    /// How many `step/run` requests one process accepts at once.
    public var concurrency: Int
    public var dryRun: Bool
    public var cancel: Bool

    public init(concurrency: Int = 1, dryRun: Bool = false, cancel: Bool = false) {
        self.concurrency = concurrency
        self.dryRun = dryRun
        self.cancel = cancel
    }

    public init(json: JSONValue) throws(FieldError) {
        let f = try Fields(json, path: "result.capabilities")
        concurrency = max(1, try f.optionalInt("concurrency") ?? 1)
        dryRun = try f.optionalBool("dryRun") ?? false
        cancel = try f.optionalBool("cancel") ?? false
    }

    public var json: JSONValue { ["concurrency": .int(concurrency), "dryRun": .bool(dryRun), "cancel": .bool(cancel)] }
}

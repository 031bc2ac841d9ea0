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

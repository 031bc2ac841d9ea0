/// The result of a successful `step/run`.
public struct StepRunResult: JSONConvertible, Hashable {
    public var outputs: [String: JSONValue]
    public var summary: String?
    public var changed: Bool

    public init(outputs: [String: JSONValue] = [:], summary: String? = nil, changed: Bool = true) {
        self.outputs = outputs; self.summary = summary; self.changed = changed
    }

    public init(json: JSONValue) throws(FieldError) {
        if json.isNull { self.init(); return }
        let f = try Fields(json, path: "result")
        var outputs: [String: JSONValue] = [:]
        if let o = f.optional("outputs") {
            guard let oo = o.objectValue else { throw FieldError(path: "result.outputs", message: "expected an object, got \(o.typeName)") }
            outputs = oo
        }
        self.init(outputs: outputs, summary: try f.optionalString("summary"), changed: try f.optionalBool("changed") ?? true)
    }

    public var json: JSONValue {
        .compactObject(["outputs": .object(outputs), "summary": summary.map(JSONValue.string), "changed": .bool(changed)])
    }
}

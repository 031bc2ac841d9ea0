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

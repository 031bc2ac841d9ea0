import PluginKit

/// detect-changes: which directories of the repository changed between two commits (docs/plugins.md#detect-changes).
/// Served by the `stephost` executable when it is started as `stephost-detect-changes` (one multi-call
/// binary for the host and its bundled plugins; each plugin still runs as its own process).
public func serve() -> Never {
    let server = PluginServer(name: "detect-changes", version: "0.1.0")
    server.register(DetectChangesStep.description, handler: DetectChangesStep.run)
    server.run()
}

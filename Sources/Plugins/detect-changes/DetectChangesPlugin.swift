import PluginKit

/// detect-changes: which directories of the repository changed between two commits (docs/plugins.md#detect-changes).
/// Its steps and handlers; the host also takes its `initialize` answer from it in-process for the
/// commands that run nothing (`validate`, `plan`), which start no process for a bundled plugin.
public func server() -> PluginServer {
    let server = PluginServer(name: "detect-changes", version: "0.1.0")
    server.register(DetectChangesStep.description, handler: DetectChangesStep.run)
    return server
}

/// Served by the `stephost` executable when it is started as `stephost-detect-changes` (one multi-call
/// binary for the host and its bundled plugins; each plugin still runs as its own process).
public func serve() -> Never { server().run() }

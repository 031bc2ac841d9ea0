import PluginKit

/// sync-modal: deploys one processor's Modal function from its registry file (docs/plugins.md#sync-modal).
/// Its steps and handlers; the host also takes its `initialize` answer from it in-process for the
/// commands that run nothing (`validate`, `plan`), which start no process for a bundled plugin.
public func server() -> PluginServer {
    let server = PluginServer(name: "sync-modal", version: "0.1.0")
    server.register(SyncModalStep.description, handler: SyncModalStep.run)
    return server
}

/// Served by the `stephost` executable when it is started as `stephost-sync-modal` (one multi-call
/// binary for the host and its bundled plugins; each plugin still runs as its own process).
public func serve() -> Never { server().run() }

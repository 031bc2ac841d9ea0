import PluginKit

/// sync-modal: deploys one processor's Modal function from its registry file (docs/plugins.md#sync-modal).
/// Served by the `stephost` executable when it is started as `stephost-sync-modal` (one multi-call
/// binary for the host and its bundled plugins; each plugin still runs as its own process).
public func serve() -> Never {
    let server = PluginServer(name: "sync-modal", version: "0.1.0")
    server.register(SyncModalStep.description, handler: SyncModalStep.run)
    server.run()
}

import PluginKit

/// ghcr-push: pushes an OCI layout to a registry with the distribution API and reports its digest (docs/plugins.md#ghcr-push).
/// Its steps and handlers; the host also takes its `initialize` answer from it in-process for the
/// commands that run nothing (`validate`, `plan`), which start no process for a bundled plugin.
public func server() -> PluginServer {
    let server = PluginServer(name: "ghcr-push", version: "0.1.0")
    server.register(GHCRPushStep.description, handler: GHCRPushStep.run)
    return server
}

/// Served by the `stephost` executable when it is started as `stephost-ghcr-push` (one multi-call
/// binary for the host and its bundled plugins; each plugin still runs as its own process).
public func serve() -> Never { server().run() }

import PluginKit

/// ghcr-push: pushes an OCI layout to a registry with the distribution API and reports its digest (docs/plugins.md#ghcr-push).
/// Served by the `stephost` executable when it is started as `stephost-ghcr-push` (one multi-call
/// binary for the host and its bundled plugins; each plugin still runs as its own process).
public func serve() -> Never {
    let server = PluginServer(name: "ghcr-push", version: "0.1.0")
    server.register(GHCRPushStep.description, handler: GHCRPushStep.run)
    server.run()
}

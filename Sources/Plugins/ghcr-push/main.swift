import PluginKit

// ghcr-push: pushes an OCI layout to a registry with the distribution API and reports its digest (docs/plugins.md#ghcr-push).
let server = PluginServer(name: "ghcr-push", version: "0.1.0")
server.register(GHCRPushStep.description, handler: GHCRPushStep.run)
server.run()

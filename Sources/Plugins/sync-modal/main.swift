import PluginKit

// sync-modal: deploys one processor's Modal function from its registry file (docs/plugins.md#sync-modal).
let server = PluginServer(name: "sync-modal", version: "0.1.0")
server.register(SyncModalStep.description, handler: SyncModalStep.run)
server.run()

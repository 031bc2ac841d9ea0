import PluginKit

// notify: tells people that a run failed or recovered: a chat webhook, or a GitHub issue that resolves itself (docs/plugins.md#notify).
let server = PluginServer(name: "notify", version: "0.1.0")
server.register(NotifyStep.description, handler: NotifyStep.run)
server.run()

import PluginKit

/// notify: tells people that a run failed or recovered: a chat webhook, or a GitHub issue that resolves itself (docs/plugins.md#notify).
/// Served by the `stephost` executable when it is started as `stephost-notify` (one multi-call
/// binary for the host and its bundled plugins; each plugin still runs as its own process).
public func serve() -> Never {
    let server = PluginServer(name: "notify", version: "0.1.0")
    server.register(NotifyStep.description, handler: NotifyStep.run)
    server.run()
}

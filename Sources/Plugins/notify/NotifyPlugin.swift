import PluginKit

/// notify: tells people that a run failed or recovered: a chat webhook, or a GitHub issue that resolves itself (docs/plugins.md#notify).
/// Its steps and handlers; the host also takes its `initialize` answer from it in-process for the
/// commands that run nothing (`validate`, `plan`), which start no process for a bundled plugin.
public func server() -> PluginServer {
    let server = PluginServer(name: "notify", version: "0.1.0")
    server.register(NotifyStep.description, handler: NotifyStep.run)
    return server
}

/// Served by the `stephost` executable when it is started as `stephost-notify` (one multi-call
/// binary for the host and its bundled plugins; each plugin still runs as its own process).
public func serve() -> Never { server().run() }

import PluginKit

/// pin-digest: writes an image digest into a processor's registry YAML (docs/plugins.md#pin-digest).
/// Its steps and handlers; the host also takes its `initialize` answer from it in-process for the
/// commands that run nothing (`validate`, `plan`), which start no process for a bundled plugin.
public func server() -> PluginServer {
    let server = PluginServer(name: "pin-digest", version: "0.1.0")
    server.register(PinDigestStep.description, handler: PinDigestStep.run)
    return server
}

/// Served by the `stephost` executable when it is started as `stephost-pin-digest` (one multi-call
/// binary for the host and its bundled plugins; each plugin still runs as its own process).
public func serve() -> Never { server().run() }

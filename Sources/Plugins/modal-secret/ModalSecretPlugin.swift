import PluginKit

/// modal-secret: ensures one Modal secret in one Modal environment (docs/plugins.md#modal-secret).
/// Its steps and handlers; the host also takes its `initialize` answer from it in-process for the
/// commands that run nothing (`validate`, `plan`), which start no process for a bundled plugin.
public func server() -> PluginServer {
    let server = PluginServer(name: "modal-secret", version: "0.1.0")
    server.register(ModalSecretStep.description, handler: ModalSecretStep.run)
    return server
}

/// Served by the `stephost` executable when it is started as `stephost-modal-secret` (one multi-call
/// binary for the host and its bundled plugins; each plugin still runs as its own process).
public func serve() -> Never { server().run() }

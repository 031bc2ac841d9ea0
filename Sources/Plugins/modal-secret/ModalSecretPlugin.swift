import PluginKit

/// modal-secret: ensures one Modal secret in one Modal environment (docs/plugins.md#modal-secret).
/// Served by the `stephost` executable when it is started as `stephost-modal-secret` (one multi-call
/// binary for the host and its bundled plugins; each plugin still runs as its own process).
public func serve() -> Never {
    let server = PluginServer(name: "modal-secret", version: "0.1.0")
    server.register(ModalSecretStep.description, handler: ModalSecretStep.run)
    server.run()
}

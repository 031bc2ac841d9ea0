import PluginKit

/// pin-digest: writes an image digest into a processor's registry YAML (docs/plugins.md#pin-digest).
/// Served by the `stephost` executable when it is started as `stephost-pin-digest` (one multi-call
/// binary for the host and its bundled plugins; each plugin still runs as its own process).
public func serve() -> Never {
    let server = PluginServer(name: "pin-digest", version: "0.1.0")
    server.register(PinDigestStep.description, handler: PinDigestStep.run)
    server.run()
}

import PluginKit

// pin-digest: writes an image digest into a processor's registry YAML (docs/plugins.md#pin-digest).
let server = PluginServer(name: "pin-digest", version: "0.1.0")
server.register(PinDigestStep.description, handler: PinDigestStep.run)
server.run()

import PluginKit

// modal-secret: ensures one Modal secret in one Modal environment (docs/plugins.md#modal-secret).
let server = PluginServer(name: "modal-secret", version: "0.1.0")
server.register(ModalSecretStep.description, handler: ModalSecretStep.run)
server.run()

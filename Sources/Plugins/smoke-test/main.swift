import PluginKit

// smoke-test: checks that a command or an HTTP endpoint works, with retries (docs/plugins.md#smoke-test).
let server = PluginServer(name: "smoke-test", version: "0.1.0")
server.register(SmokeTestStep.description, handler: SmokeTestStep.run)
server.run()

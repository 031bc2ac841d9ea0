import PluginKit

/// smoke-test: checks that a command or an HTTP endpoint works, with retries (docs/plugins.md#smoke-test).
/// Served by the `stephost` executable when it is started as `stephost-smoke-test` (one multi-call
/// binary for the host and its bundled plugins; each plugin still runs as its own process).
public func serve() -> Never {
    let server = PluginServer(name: "smoke-test", version: "0.1.0")
    server.register(SmokeTestStep.description, handler: SmokeTestStep.run)
    server.run()
}

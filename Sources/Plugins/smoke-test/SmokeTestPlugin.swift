import PluginKit

/// smoke-test: checks that a command or an HTTP endpoint works, with retries (docs/plugins.md#smoke-test).
/// Its steps and handlers; the host also takes its `initialize` answer from it in-process for the
/// commands that run nothing (`validate`, `plan`), which start no process for a bundled plugin.
public func server() -> PluginServer {
    let server = PluginServer(name: "smoke-test", version: "0.1.0")
    server.register(SmokeTestStep.description, handler: SmokeTestStep.run)
    return server
}

/// Served by the `stephost` executable when it is started as `stephost-smoke-test` (one multi-call
/// binary for the host and its bundled plugins; each plugin still runs as its own process).
public func serve() -> Never { server().run() }

import PluginKit

/// bot-pr: commits changed files on a branch and opens or updates a pull request (docs/plugins.md#bot-pr).
/// Its steps and handlers; the host also takes its `initialize` answer from it in-process for the
/// commands that run nothing (`validate`, `plan`), which start no process for a bundled plugin.
public func server() -> PluginServer {
    let server = PluginServer(name: "bot-pr", version: "0.1.0")
    server.register(BotPRStep.description, handler: BotPRStep.run)
    return server
}

/// Served by the `stephost` executable when it is started as `stephost-bot-pr` (one multi-call
/// binary for the host and its bundled plugins; each plugin still runs as its own process).
public func serve() -> Never { server().run() }

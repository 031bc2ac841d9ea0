import PluginKit

/// bot-pr: commits changed files on a branch and opens or updates a pull request (docs/plugins.md#bot-pr).
/// Served by the `stephost` executable when it is started as `stephost-bot-pr` (one multi-call
/// binary for the host and its bundled plugins; each plugin still runs as its own process).
public func serve() -> Never {
    let server = PluginServer(name: "bot-pr", version: "0.1.0")
    server.register(BotPRStep.description, handler: BotPRStep.run)
    server.run()
}

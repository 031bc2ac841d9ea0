import PluginKit

// bot-pr: commits changed files on a branch and opens or updates a pull request (docs/plugins.md#bot-pr).
let server = PluginServer(name: "bot-pr", version: "0.1.0")
server.register(BotPRStep.description, handler: BotPRStep.run)
server.run()

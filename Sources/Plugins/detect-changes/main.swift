import PluginKit

// detect-changes: which directories of the repository changed between two commits (docs/plugins.md#detect-changes).
let server = PluginServer(name: "detect-changes", version: "0.1.0")
server.register(DetectChangesStep.description, handler: DetectChangesStep.run)
server.run()

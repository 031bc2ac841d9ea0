import Foundation
import PluginKit
import StepProtocol

// exec: runs a shell command or an argv list (docs/plugins.md#exec).
let server = PluginServer(name: "exec", version: "0.1.0", capabilities: Capabilities(concurrency: 4, dryRun: true, cancel: true))
server.register(ExecStep.description, handler: ExecStep.run)
server.run()

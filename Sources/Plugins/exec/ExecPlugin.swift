import Foundation
import PluginKit
import StepProtocol

/// exec: runs a shell command or an argv list (docs/plugins.md#exec).
/// Served by the `stephost` executable when it is started as `stephost-exec` (one multi-call
/// binary for the host and its bundled plugins; each plugin still runs as its own process).
public func serve() -> Never {
    let server = PluginServer(name: "exec", version: "0.1.0", capabilities: Capabilities(concurrency: 4, dryRun: true, cancel: true))
    server.register(ExecStep.description, handler: ExecStep.run)
    server.run()
}

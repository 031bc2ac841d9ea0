import Foundation
import PluginKit
import StepProtocol

/// exec: runs a shell command or an argv list (docs/plugins.md#exec).
/// Its steps and handlers; the host also takes its `initialize` answer from it in-process for the
/// commands that run nothing (`validate`, `plan`), which start no process for a bundled plugin.
public func server() -> PluginServer {
    let server = PluginServer(name: "exec", version: "0.1.0", capabilities: Capabilities(concurrency: 4, dryRun: true, cancel: true))
    server.register(ExecStep.description, handler: ExecStep.run)
    return server
}

/// Served by the `stephost` executable when it is started as `stephost-exec` (one multi-call
/// binary for the host and its bundled plugins; each plugin still runs as its own process).
public func serve() -> Never { server().run() }

import Foundation
import PluginKit
import StepProtocol
#if canImport(Glibc)
import Glibc
#endif

// A plugin that misbehaves on request, for stephost's own tests.
//
// Process-level behaviour comes from argv (FakeOptions); step-level
// behaviour from the step's `with.mode` (FakeStep).
let options = FakeOptions.parse(Array(CommandLine.arguments.dropFirst()))
options.record("start pid=\(getpid())")
FakeOptions.beforeServing(options)
let server = PluginServer(name: options.name, version: "9.9.9",
                          capabilities: Capabilities(concurrency: options.concurrency, dryRun: options.dryRun, cancel: options.cancel))
for name in options.steps {
    var description = FakeStep.description(name)
    description.kind = options.kind
    // Standing in for another plugin's step (--steps docker-build,…), it takes that step's inputs, whatever they are.
    if options.anyInputs { description.inputs = ["type": "object"] }
    server.register(description, handler: { try await FakeStep.run($0, options) })
}
server.run()

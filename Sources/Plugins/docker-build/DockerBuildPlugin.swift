import PluginKit

/// docker-build: builds an image into an OCI layout with docker buildx or buildah (docs/plugins.md#docker-build).
/// Its steps and handlers; the host also takes its `initialize` answer from it in-process for the
/// commands that run nothing (`validate`, `plan`), which start no process for a bundled plugin.
public func server() -> PluginServer {
    let server = PluginServer(name: "docker-build", version: "0.1.0")
    server.register(DockerBuildStep.description, handler: DockerBuildStep.run)
    return server
}

/// Served by the `stephost` executable when it is started as `stephost-docker-build` (one multi-call
/// binary for the host and its bundled plugins; each plugin still runs as its own process).
public func serve() -> Never { server().run() }

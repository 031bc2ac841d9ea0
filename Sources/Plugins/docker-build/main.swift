import PluginKit

// docker-build: builds an image into an OCI layout with docker buildx or buildah (docs/plugins.md#docker-build).
let server = PluginServer(name: "docker-build", version: "0.1.0")
server.register(DockerBuildStep.description, handler: DockerBuildStep.run)
server.run()

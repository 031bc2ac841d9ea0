import Foundation
import PluginKit
import StepProtocol

/// Builds with `docker buildx build --output type=oci` on a docker-container builder
/// (the default docker driver cannot export OCI layouts).
struct DockerBackend: BuildBackend {
    static let builderName = "stephost"
    let executable: String
    var name: String { "docker" }

    /// Whether a Docker daemon answers `docker info` (false, too, when there is no docker).
    func daemonAnswers(_ step: StepContext) async -> Bool {
        let r = try? await step.capture([executable, "info", "--format", "{{.ServerVersion}}"], cwd: nil, environment: step.childEnvironment)
        return r?.succeeded ?? false
    }

    func build(_ b: Build) async throws {
        let env = b.environment
        let inspect = try await b.step.capture([executable, "buildx", "inspect", DockerBackend.builderName], cwd: b.context, environment: env)
        if !inspect.succeeded {
            b.step.log("creating buildx builder '\(DockerBackend.builderName)' (driver docker-container)")
            try await b.run([executable, "buildx", "create", "--name", DockerBackend.builderName, "--driver", "docker-container"], env: env,
                            hint: "docker buildx must be installed (the docker-buildx plugin)")
        }
        var out = "type=oci,dest=\(b.output),tar=false"
        if b.epoch != nil { out += ",rewrite-timestamp=true" }
        var argv = [executable, "buildx", "build", "--builder", DockerBackend.builderName, "--platform", b.platform, "-f", b.dockerfile,
                    "--provenance=false", "--output", out]
        for t in b.tags { argv += ["-t", "\(b.image):\(t)"] }
        if let epoch = b.epoch { argv += ["--build-arg", "SOURCE_DATE_EPOCH=\(epoch)"] }
        for a in b.buildArgs { argv += ["--build-arg", a] }
        argv.append(b.context)
        try await b.run(argv, env: env, hint: "see the build output above")
    }
}

import Foundation
import OCI
import PluginKit
import StepProtocol

/// Builds with `docker buildx build --output type=oci` on a docker-container builder
/// (the default docker driver cannot export OCI layouts), or on a remote BuildKit: an
/// existing buildx builder (`builder` input), or `BUILDKIT_HOST` (a `remote` driver builder,
/// created once per address). The layout is written on this machine either way.
struct DockerBackend: BuildBackend {
    static let builderName = "stephost"
    let executable: String
    /// The `builder` input: an existing buildx builder (e.g. `docker buildx create --driver remote tcp://HOST:1234`).
    var builder: String?
    /// `BUILDKIT_HOST`: a BuildKit daemon's address.
    var buildkitHost: String?
    var name: String { builder.map { "docker (builder \($0))" } ?? buildkitHost.map { "docker (BuildKit at \($0))" } ?? "docker" }

    /// Whether it builds elsewhere, so that no local daemon is needed.
    var isRemote: Bool { builder != nil || buildkitHost != nil }

    /// The remote builder for an address: one per address, so a changed BUILDKIT_HOST is not built on the old one.
    static func remoteBuilderName(_ address: String) -> String { "stephost-remote-" + SHA256.hex(Array(address.utf8)).prefix(12) }

    /// Whether a Docker daemon answers `docker info` (false, too, when there is no docker).
    func daemonAnswers(_ step: StepContext) async -> Bool {
        let r = try? await step.capture([executable, "info", "--format", "{{.ServerVersion}}"], cwd: nil, environment: step.childEnvironment)
        return r?.succeeded ?? false
    }

    func build(_ b: Build) async throws { try await buildx(b, platforms: b.platform) }

    /// buildx builds every platform at once and writes the index itself.
    func build(_ b: Build, platforms: [OCIPlatform]) async throws {
        try await buildx(b, platforms: platforms.map(\.description).joined(separator: ","))
    }

    func buildx(_ b: Build, platforms: String) async throws {
        let env = b.environment
        let name: String
        if let builder {
            name = builder   // the team's own builder, used as it is
        } else {
            let (builderName, driver) = buildkitHost.map { (DockerBackend.remoteBuilderName($0), ["remote", $0]) }
                ?? (DockerBackend.builderName, ["docker-container"])
            name = builderName
            let inspect = try await b.step.capture([executable, "buildx", "inspect", name], cwd: b.context, environment: env)
            if !inspect.succeeded {
                b.step.log("creating buildx builder '\(name)' (driver \(driver.joined(separator: " ")))")
                try await b.run([executable, "buildx", "create", "--name", name, "--driver"] + driver, env: env,
                                hint: "docker buildx must be installed (the docker-buildx plugin)"
                                    + (buildkitHost == nil ? "" : "; BUILDKIT_HOST must be a BuildKit address such as tcp://buildkitd:1234"))
            }
        }
        var out = "type=oci,dest=\(b.output),tar=false"
        if b.epoch != nil { out += ",rewrite-timestamp=true" }
        var argv = [executable, "buildx", "build", "--builder", name, "--platform", platforms, "-f", b.dockerfile,
                    "--provenance=false", "--output", out]
        for t in b.tags { argv += ["-t", "\(b.image):\(t)"] }
        if let epoch = b.epoch { argv += ["--build-arg", "SOURCE_DATE_EPOCH=\(epoch)"] }
        for a in b.buildArgs { argv += ["--build-arg", a] }
        argv.append(b.context)
        try await b.run(argv, env: env, hint: "see the build output above")
    }
}

import Foundation
import PluginKit
import StepProtocol

/// Daemonless builds: `buildah bud --isolation chroot`, then `buildah push` into an OCI layout.
/// Storage is vfs when the default (overlay) does not work here, unless STORAGE_DRIVER says otherwise.
struct BuildahBackend: BuildBackend {
    let executable: String
    var name: String { "buildah" }

    func build(_ b: Build) async throws {
        var env = b.environment
        if env["STORAGE_DRIVER"] == nil {
            let probe = try await b.step.capture([executable, "images", "--quiet"], cwd: b.context, environment: env)
            if !probe.succeeded {
                b.step.log("buildah's default storage does not work here (\(probe.stderr.split(separator: "\n").last ?? "")): using vfs")
                env["STORAGE_DRIVER"] = "vfs"
            }
        }
        let idFile = "\(b.step.request.tempDir.isEmpty ? NSTemporaryDirectory() : b.step.request.tempDir)/buildah-iid-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: idFile) }
        var argv = [executable, "bud", "--isolation", "chroot", "--platform", b.platform, "-f", b.dockerfile, "--iidfile", idFile,
                    "-t", "\(b.image):\(b.tags[0])"]
        if let epoch = b.epoch { argv += ["--timestamp", "\(epoch)"] }
        for a in b.buildArgs { argv += ["--build-arg", a] }
        argv.append(b.context)
        try await b.run(argv, env: env, hint: "see the build output above; a FROM image needs network access to its registry")
        guard let id = (try? String(contentsOfFile: idFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines), !id.isEmpty else {
            throw ResponseError.stepFailed("buildah bud wrote no image id")
        }
        do {
            try await b.run([executable, "push", "--quiet", id, "oci:\(b.output):\(b.tags[0])"], env: env)
        } catch {
            _ = try? await b.step.capture([executable, "rmi", "--force", id], cwd: b.context, environment: env)
            throw error
        }
        // The layout is the result; the image in buildah's storage would only pile up.
        _ = try? await b.step.capture([executable, "rmi", "--force", id], cwd: b.context, environment: env)
    }
}

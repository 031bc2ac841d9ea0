import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PluginKit
import StepProtocol

/// Daemonless builds: `buildah bud --isolation chroot`, then `buildah push` into an OCI layout.
/// Storage is vfs when the default (overlay) does not work here, unless STORAGE_DRIVER says otherwise.
struct BuildahBackend: BuildBackend {
    let executable: String
    var name: String { "buildah" }

    func build(_ b: Build) async throws {
        var env = b.environment
        if env["STORAGE_DRIVER"] == nil, let problem = try await storageProblem(b, env: env) {
            b.step.log("buildah's default storage does not work here (\(problem)): using vfs")
            env["STORAGE_DRIVER"] = "vfs"
        }
        let idFile = b.step.temporaryPath("buildah-iid")
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

    /// Why buildah's configured storage cannot build here, or nil when it can. As root, a scratch
    /// container is also mounted: overlay inside a container often opens its store but cannot mount.
    func storageProblem(_ b: Build, env: [String: String]) async throws -> String? {
        func lastLine(_ r: StepContext.ProcessResult) -> String { String(r.stderr.split(separator: "\n").last ?? "exit \(r.exitCode)") }
        let images = try await b.step.capture([executable, "images", "--quiet"], cwd: b.context, environment: env)
        guard images.succeeded else { return lastLine(images) }
        guard getuid() == 0 else { return nil }
        let from = try await b.step.capture([executable, "from", "--quiet", "scratch"], cwd: b.context, environment: env)
        guard from.succeeded else { return lastLine(from) }
        let container = from.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let mount = try await b.step.capture([executable, "mount", container], cwd: b.context, environment: env)
        _ = try? await b.step.capture([executable, "rm", container], cwd: b.context, environment: env)
        return mount.succeeded ? nil : lastLine(mount)
    }
}

import Foundation
import OCI
import PluginKit
import StepProtocol

enum DockerBuildStep {
    static let description = StepDescription(
        name: "docker-build",
        description: "Build an image (linux/amd64 by default) into an OCI image layout, reproducibly",
        inputs: [
            "type": "object", "additionalProperties": false, "required": ["context", "image"],
            "properties": [
                "context": ["type": "string", "description": "build context folder"],
                "dockerfile": ["type": "string", "description": "default <context>/Dockerfile, or <context>/Containerfile when there is no Dockerfile"],
                "image": ["type": "string", "description": "repository, e.g. ghcr.io/OWNER/NAME"],
                "tags": ["type": "array", "items": ["type": "string"], "minItems": 1,
                         "description": "default [sha-<first 12 of run.sha>], or [run-<run.id>] outside git"],
                "platform": ["type": "string", "description": "default linux/amd64"],
                "build-args": ["type": "object", "additionalProperties": ["type": "string"], "description": "--build-arg values"],
                "backend": ["type": "string", "enum": ["docker", "buildah"], "description": "default docker when a daemon answers, else buildah"],
                "output": ["type": "string", "description": "layout folder (default .stephost/images/<last part of image>)"],
                "reproducible": ["type": "boolean", "description": "fix every timestamp so the same sources give the same digest (default true)"],
                "docker": ["type": "string", "description": "the docker executable (default: docker in PATH)"],
                "builder": ["type": "string", "description": "an existing buildx builder to build on (a remote BuildKit: docker buildx create --driver remote tcp://HOST:1234); BUILDKIT_HOST in the environment does the same with a builder of its own"],
                "buildah": ["type": "string", "description": "the buildah executable (default: buildah in PATH)"],
            ],
        ],
        outputs: ["layout": "the OCI layout folder", "digest": "the image manifest's digest", "image": "image:tag of the first tag"])

    @Sendable static func run(_ step: StepContext) async throws -> StepRunResult {
        let w = step.with
        let imageText = w["image"]?.stringValue ?? ""
        _ = try ImageName(imageText)
        let context = step.path(w["context"]?.stringValue ?? "")
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: context, isDirectory: &isDir), isDir.boolValue else {
            throw ResponseError.stepFailed("context \(context) is not a folder", hint: "give the folder that holds the processor's sources")
        }
        let dockerfile = w["dockerfile"]?.stringValue.map(step.path) ?? defaultDockerfile(context)
        guard FileManager.default.fileExists(atPath: dockerfile) else {
            throw ResponseError.stepFailed("no Dockerfile at \(dockerfile)", hint: "give the dockerfile input, or put a Dockerfile (or Containerfile) in the context")
        }
        let platform = w["platform"]?.stringValue ?? "linux/amd64"
        let buildArgs = (w["build-args"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.stringValue ?? $0.value.encoded())" }
        let reproducible = w["reproducible"]?.boolValue ?? true
        let lastPart = String(imageText.split(separator: "/").last ?? "image")
        let output = step.path(w["output"]?.stringValue ?? ".stephost/images/\(lastPart)")

        let git = Git(step: step, directory: context)
        let inGit = (try? await git.attempt(["rev-parse", "--git-dir"]))?.succeeded ?? false
        let tags: [String]
        if let given = w["tags"]?.arrayValue?.compactMap(\.stringValue) {
            tags = given
        } else if inGit, let sha = try await git.commit(step.request.run.sha.isEmpty ? "HEAD" : step.request.run.sha) {
            tags = ["sha-\(sha.prefix(12))"]
        } else {
            tags = ["run-\(step.request.run.id.isEmpty ? "local" : step.request.run.id)"]
        }
        for t in tags where !isValidTag(t) {
            throw ResponseError.invalidInput("with.tags", "tag '\(t)' is not a valid tag (letters, digits, _ . -, at most 128, not starting with . or -)")
        }
        // The time every timestamp is set to: the last commit that changed the context (0 outside git), so
        // that commits elsewhere in the repository do not change this image's digest.
        var epoch = 0
        if reproducible, inGit {
            let t = try await git.run(["log", "-1", "--format=%ct", "--", ".", dockerfile]).trimmingCharacters(in: .whitespacesAndNewlines)
            epoch = Int(t) ?? 0
        }

        let backend = try await chooseBackend(step)
        let plan = "\(backend.name) build of \(imageText):\(tags[0]) for \(platform) from \(context)" + (reproducible ? " (timestamps \(epoch))" : "")
        if step.isDryRun {
            return StepRunResult(outputs: ["layout": .string(output), "digest": .null, "image": .string("\(imageText):\(tags[0])")],
                                 summary: "would run a \(plan) into \(output)", changed: false)
        }
        try prepareOutput(output)
        step.log("\(plan) -> \(output)")
        let build = Build(step: step, context: context, dockerfile: dockerfile, image: imageText, tags: tags, platform: platform,
                          buildArgs: buildArgs, epoch: reproducible ? epoch : nil, output: output)
        try await backend.build(build)

        let layout = try OCILayout(directory: output)
        guard let entry = layout.entries.first(where: { $0.refName == tags[0] }) ?? layout.entries.first else {
            throw OCIError.badLayout(output, "the build wrote no image into index.json")
        }
        try OCILayout.writeIndex(directory: output, entry: entry, tags: tags)
        return StepRunResult(outputs: ["layout": .string(output), "digest": .string(entry.digest), "image": .string("\(imageText):\(tags[0])")],
                             summary: "built \(imageText):\(tags[0]) \(entry.digest.prefix(19))… with \(backend.name)")
    }

    static func defaultDockerfile(_ context: String) -> String {
        let docker = "\(context)/Dockerfile", container = "\(context)/Containerfile"
        return !FileManager.default.fileExists(atPath: docker) && FileManager.default.fileExists(atPath: container) ? container : docker
    }

    static func isValidTag(_ t: String) -> Bool {
        guard let f = t.first, f != ".", f != "-", t.count <= 128 else { return false }
        return t.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-") }
    }

    /// Empties the output folder, refusing to delete a folder that is not an OCI layout.
    static func prepareOutput(_ output: String) throws {
        let fm = FileManager.default
        if let items = try? fm.contentsOfDirectory(atPath: output), !items.isEmpty {
            guard items.contains("oci-layout") else {
                throw ResponseError.stepFailed("output \(output) exists and is not an OCI layout; not deleting it",
                                               hint: "give an output folder that is empty, new or an earlier layout")
            }
            try fm.removeItem(atPath: output)
        }
        try fm.createDirectory(atPath: (output as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    }

    static func chooseBackend(_ step: StepContext) async throws -> any BuildBackend {
        let docker = step.with["docker"]?.stringValue ?? "docker", buildah = step.with["buildah"]?.stringValue ?? "buildah"
        let host = step.childEnvironment["BUILDKIT_HOST"].flatMap { $0.isEmpty ? nil : $0 }
        let dockerBackend = DockerBackend(executable: docker, builder: step.with["builder"]?.stringValue, buildkitHost: host)
        switch step.with["backend"]?.stringValue {
        case "docker": return dockerBackend
        case "buildah":
            if step.with["builder"] != nil { throw ResponseError.invalidInput("with.builder", "a buildx builder is docker's; the buildah backend builds here") }
            return BuildahBackend(executable: buildah)
        default:
            // A remote BuildKit needs no daemon here.
            if dockerBackend.isRemote { return dockerBackend }
            if await dockerBackend.daemonAnswers(step) { return dockerBackend }
            step.log("no Docker daemon answers: building with buildah (daemonless)")
            return BuildahBackend(executable: buildah)
        }
    }
}

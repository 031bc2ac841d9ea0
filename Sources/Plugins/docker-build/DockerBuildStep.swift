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
                "platforms": ["type": "array", "items": ["type": "string"], "minItems": 1,
                              "description": "instead of platform: one image per platform (e.g. [linux/amd64, linux/arm64]), gathered in an OCI image index the tags name"],
                "build-args": ["type": "object", "additionalProperties": ["type": "string"], "description": "--build-arg values"],
                "backend": ["type": "string", "enum": ["docker", "buildah"], "description": "default docker when a daemon answers, else buildah"],
                "output": ["type": "string", "description": "layout folder (default .stephost/images/<last part of image>)"],
                "reproducible": ["type": "boolean", "description": "fix every timestamp so the same sources give the same digest (default true)"],
                "docker": ["type": "string", "description": "the docker executable (default: docker in PATH)"],
                "builder": ["type": "string", "description": "an existing buildx builder to build on (a remote BuildKit: docker buildx create --driver remote tcp://HOST:1234); BUILDKIT_HOST in the environment does the same with a builder of its own"],
                "buildah": ["type": "string", "description": "the buildah executable (default: buildah in PATH)"],
            ],
        ],
        outputs: ["layout": "the OCI layout folder", "digest": "the digest the tags name: the image manifest's, or the index's with platforms",
                  "digests": "with platforms: architecture (amd64, arm64, arm64/v8) -> that platform's manifest digest",
                  "image": "image:tag of the first tag"])

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
        var platforms: [OCIPlatform]?
        if let list = w["platforms"]?.arrayValue {
            if w["platform"] != nil { throw ResponseError.invalidInput("with.platforms", "give platform or platforms, not both") }
            platforms = try list.map { v throws(OCIError) in try OCIPlatform(v.stringValue ?? "") }
            if let p = platforms, Set(p).count != p.count { throw ResponseError.invalidInput("with.platforms", "a platform is listed twice") }
        } else {
            _ = try OCIPlatform(platform)
        }
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
        // that commits elsewhere in the repository do not change this image's digest. Files the build ignores
        // (.dockerignore) do not count: a registry.yaml beside the code, pinned after each build, must not
        // give the next build a new digest.
        var epoch = 0
        if reproducible, inGit {
            let ignored = dockerignore(context).map { ":(exclude,glob)\($0)" }
            let t = try await git.run(["log", "-1", "--format=%ct", "--", ".", dockerfile] + ignored).trimmingCharacters(in: .whitespacesAndNewlines)
            epoch = Int(t) ?? 0
        }

        let backend = try await chooseBackend(step)
        let targets = try platforms ?? [OCIPlatform(platform)]
        if !backend.isRemote { try checkEmulation(dockerfile, targets, step: step) }
        let plan = "\(backend.name) build of \(imageText):\(tags[0]) for \(targets.map(\.description).joined(separator: ", ")) from \(context)"
            + (reproducible ? " (timestamps \(epoch))" : "")
        if step.isDryRun {
            var outputs: [String: JSONValue] = ["layout": .string(output), "digest": .null, "image": .string("\(imageText):\(tags[0])")]
            if platforms != nil { outputs["digests"] = .null }
            return StepRunResult(outputs: outputs, summary: "would run a \(plan) into \(output)", changed: false)
        }
        try prepareOutput(output)
        step.log("\(plan) -> \(output)")
        let build = Build(step: step, context: context, dockerfile: dockerfile, image: imageText, tags: tags, platform: platform,
                          buildArgs: buildArgs, epoch: reproducible ? epoch : nil, output: output)
        if let platforms { try await backend.build(build, platforms: platforms) } else { try await backend.build(build) }

        let layout = try OCILayout(directory: output)
        guard let entry = layout.entries.first(where: { $0.refName == tags[0] }) ?? layout.entries.first else {
            throw OCIError.badLayout(output, "the build wrote no image into index.json")
        }
        try OCILayout.writeIndex(directory: output, entry: entry, tags: tags)
        var outputs: [String: JSONValue] = ["layout": .string(output), "digest": .string(entry.digest), "image": .string("\(imageText):\(tags[0])")]
        if let platforms {
            guard let digests = try layout.platformDigests(entry), Set(digests.keys) == Set(platforms.map(\.key)) else {
                throw OCIError.badLayout(output, "the build wrote no index of \(platforms.map(\.description).joined(separator: ", "))")
            }
            outputs["digests"] = .object(digests.mapValues(JSONValue.string))
        }
        return StepRunResult(outputs: outputs, summary: "built \(imageText):\(tags[0]) \(entry.digest.prefix(19))… with \(backend.name)"
                                 + (platforms.map { " for \($0.map(\.description).joined(separator: ", "))" } ?? ""))
    }

    /// A `RUN` runs programs of the image: for another architecture that needs QEMU's binfmt handler
    /// here (a stage `FROM --platform=$BUILDPLATFORM` runs natively). Without one, a clear error before building.
    static func checkEmulation(_ dockerfile: String, _ platforms: [OCIPlatform], step: StepContext) throws {
        let host = OCIPlatform.host
        let foreign = platforms.filter { $0.architecture != host }
        guard !foreign.isEmpty, let text = try? String(contentsOfFile: dockerfile, encoding: .utf8) else { return }
        var native = false, runs = false
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let word = line.prefix { !$0.isWhitespace }.uppercased()
            if word == "FROM" { native = line.contains("$BUILDPLATFORM") || line.contains("${BUILDPLATFORM}") }
            if word == "RUN" && !native { runs = true; break }
        }
        guard runs else { return }
        let dir = step.childEnvironment["STEPHOST_BINFMT_DIR"] ?? "/proc/sys/fs/binfmt_misc"
        let missing = foreign.filter { !FileManager.default.fileExists(atPath: "\(dir)/\(OCIPlatform.qemuHandler($0.architecture))") }
        guard !missing.isEmpty else { return }
        throw ResponseError.stepFailed(
            "\(step.relative(dockerfile)) has RUN instructions, which run the image's own programs: building for \(missing.map(\.description).joined(separator: ", ")) on this \(host) machine needs an emulator, and no QEMU binfmt handler is registered (\(dir)/\(OCIPlatform.qemuHandler(missing[0].architecture)))",
            hint: "register QEMU's handlers (Debian/Ubuntu: apt-get install qemu-user-static binfmt-support; GitHub Actions: docker/setup-qemu-action), build on a machine of that architecture or a remote BuildKit of it (builder input or BUILDKIT_HOST), or build the stage FROM --platform=$BUILDPLATFORM and cross-compile; a Dockerfile without RUN (COPY, LABEL, ENV) needs no emulator")
    }

    /// The patterns of `<context>/.dockerignore` (or `.containerignore`) that leave files out (not `!` exceptions).
    static func dockerignore(_ context: String) -> [String] {
        let text = ["\(context)/.dockerignore", "\(context)/.containerignore"].lazy
            .compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }.first ?? ""
        return text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") && !$0.hasPrefix("!") }
            .map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 }
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

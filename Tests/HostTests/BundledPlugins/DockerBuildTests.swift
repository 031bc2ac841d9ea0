import Foundation
import StepProtocol
import Testing

/// docker-build with real buildah builds (FROM scratch needs no network), and its
/// docker backend against Tests/Fixtures/fake-docker (no Docker engine runs here).
@Suite("docker-build", .timeLimit(.minutes(5)), .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/buildah") || TestSupport.inCI, "needs buildah"))
struct DockerBuildTests {
    /// buildah storage in a folder of the test's own (vfs: works anywhere), so tests leave nothing in /var/lib/containers.
    static func storageEnv() -> [String: String] {
        let dir = TestSupport.tempDir("containers")
        TestSupport.write("\(dir)/storage.conf", "[storage]\ndriver = \"vfs\"\ngraphroot = \"\(dir)/graph\"\nrunroot = \"\(dir)/run\"\n")
        return ["CONTAINERS_STORAGE_CONF": "\(dir)/storage.conf"]
    }

    /// A repository with a processor to build and an unrelated file.
    static func repo() async throws -> String {
        try await TestSupport.gitRepo([
            "processors/hello/Containerfile": "FROM scratch\nARG GREETING=hi\nCOPY app.txt /app.txt\n",
            "processors/hello/app.txt": "hello\n",
            "README.md": "readme\n",
        ])
    }

    func build(_ dir: String, with extra: [String: JSONValue] = [:], env: [String: String] = [:], dryRun: Bool = false) async throws -> PluginCall.Outcome {
        var with: [String: JSONValue] = ["context": "processors/hello", "image": "ghcr.io/acme/hello", "backend": "buildah"]
        for (k, v) in extra { if v.isNull { with.removeValue(forKey: k) } else { with[k] = v } }  // null: leave the input out
        var call = PluginCall(plugin: "docker-build", with: with, workspace: dir)
        call.env = Self.storageEnv().merging(env) { $1 }
        call.dryRun = dryRun
        return try await call.send(timeout: 240)
    }

    @Test("buildah: the same sources give the same digest, also after commits elsewhere; a change to the sources gives another")
    func reproducible() async throws {
        let dir = try await Self.repo()
        let first = try await build(dir, with: ["output": "out/one"])
        #expect(first.error == nil, "\(first.transcript)")
        let digest = try #require(first.outputs["digest"]?.stringValue)
        #expect(digest.hasPrefix("sha256:"))
        let second = try await build(dir, with: ["output": "out/two"])
        #expect(second.outputs["digest"]?.stringValue == digest, "rebuilding unchanged sources gives the same digest")

        _ = try await TestSupport.commit(dir, ["README.md": "another readme\n"])
        let third = try await build(dir, with: ["output": "out/three"])
        #expect(third.outputs["digest"]?.stringValue == digest, "a commit outside the context does not change the image")

        _ = try await TestSupport.commit(dir, ["processors/hello/app.txt": "hello again\n"])
        let fourth = try await build(dir, with: ["output": "out/four"])
        #expect(fourth.outputs["digest"]?.stringValue != digest, "changed sources give a new digest")
    }

    @Test("the layout names each tag; the default tag is sha-<12>; skopeo reads a linux/amd64 image from it")
    func layoutAndTags() async throws {
        let dir = try await Self.repo()
        let head = try await TestSupport.run(["git", "rev-parse", "HEAD"], cwd: dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        var call = PluginCall(plugin: "docker-build", with: ["context": "processors/hello", "image": "ghcr.io/acme/hello", "backend": "buildah",
                                                             "build-args": ["GREETING": "hey"]], workspace: dir)
        call.run.sha = head
        call.env = Self.storageEnv()
        let o = try await call.send(timeout: 240)
        #expect(o.error == nil, "\(o.transcript)")
        let layout = "\(dir)/.stephost/images/hello"
        #expect(o.outputs["layout"]?.stringValue == layout)
        #expect(o.outputs["image"]?.stringValue == "ghcr.io/acme/hello:sha-\(head.prefix(12))")
        let index = try JSONParser.parse(try String(contentsOfFile: "\(layout)/index.json", encoding: .utf8))
        #expect(index["manifests"]?.arrayValue?.compactMap { $0["annotations"]?["org.opencontainers.image.ref.name"]?.stringValue } == ["sha-\(head.prefix(12))"])
        let r = try await TestSupport.run(["skopeo", "inspect", "oci:\(layout):sha-\(head.prefix(12))"], cwd: dir)
        #expect(r.code == 0, "\(r.stderr)")
        let info = try JSONParser.parse(r.stdout)
        #expect(info["Architecture"]?.stringValue == "amd64")
        #expect(info["Os"]?.stringValue == "linux")
        #expect(info["Digest"]?.stringValue == o.outputs["digest"]?.stringValue)

        let tagged = try await build(dir, with: ["tags": ["v1", "latest"], "output": "out/tagged"])
        let idx2 = try JSONParser.parse(try String(contentsOfFile: "\(dir)/out/tagged/index.json", encoding: .utf8))
        #expect(idx2["manifests"]?.arrayValue?.compactMap { $0["annotations"]?["org.opencontainers.image.ref.name"]?.stringValue } == ["v1", "latest"],
                "\(tagged.transcript)")
    }

    @Test("no daemon answers: buildah is chosen by itself")
    func autoBackend() async throws {
        let dir = try await Self.repo()
        let log = "\(TestSupport.tempDir("docker"))/docker.log"
        var with: [String: JSONValue] = ["context": "processors/hello", "image": "ghcr.io/acme/hello",
                                         "docker": .string("\(TestSupport.repoRoot)/Tests/Fixtures/fake-docker")]
        with["output"] = "out/auto"
        var call = PluginCall(plugin: "docker-build", with: with, workspace: dir)
        call.env = Self.storageEnv().merging(["FAKE_DOCKER_LOG": log]) { $1 }
        let o = try await call.send(timeout: 240)
        #expect(o.error == nil, "\(o.transcript)")
        #expect(o.logs.contains { $0.contains("no Docker daemon answers") })
        #expect(o.result?.summary?.contains("with buildah") == true)
    }

    @Test("docker backend: a docker-container builder is created, then buildx exports an OCI layout with SOURCE_DATE_EPOCH")
    func dockerBackend() async throws {
        let dir = try await Self.repo()
        let commitTime = try await TestSupport.run(["git", "log", "-1", "--format=%ct"], cwd: dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let log = "\(TestSupport.tempDir("docker"))/docker.log"
        let env = Self.storageEnv().merging(["FAKE_DOCKER_LOG": log, "FAKE_DOCKER_DAEMON": "1"]) { $1 }
        let fakeDocker: JSONValue = .string("\(TestSupport.repoRoot)/Tests/Fixtures/fake-docker")
        let first = try await build(dir, with: ["backend": .null, "docker": fakeDocker, "tags": ["t1"], "output": "out/d1"], env: env)
        #expect(first.error == nil, "\(first.transcript)")
        #expect(first.result?.summary?.contains("with docker") == true)
        let second = try await build(dir, with: ["backend": "docker", "docker": fakeDocker, "tags": ["t1"], "output": "out/d2"], env: env)
        #expect(second.outputs["digest"] == first.outputs["digest"])
        let calls = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
        let argvs = calls.map { ($0["argv"]?.arrayValue ?? []).compactMap(\.stringValue) }
        #expect(argvs.filter { $0.starts(with: ["buildx", "create"]) }.count == 1, "the builder is created once: \(argvs)")
        let builds = calls.filter { $0["argv"]?.arrayValue?.first?.stringValue == "buildx" && $0["argv"]?.arrayValue?[1].stringValue == "build" }
        #expect(builds.count == 2)
        let argv = argvs.first { $0.starts(with: ["buildx", "build"]) } ?? []
        #expect(argv.contains("--output") && argv[argv.firstIndex(of: "--output")! + 1] == "type=oci,dest=\(dir)/out/d1,tar=false,rewrite-timestamp=true")
        #expect(argv.contains("linux/amd64"))
        #expect(builds.first?["SOURCE_DATE_EPOCH"]?.stringValue == commitTime)
    }

    @Test("a remote BuildKit: BUILDKIT_HOST gets a remote-driver builder of its own, `builder` names one as is; no local daemon needed; the layout is here")
    func remoteBuildKit() async throws {
        let dir = try await Self.repo()
        let log = "\(TestSupport.tempDir("docker"))/docker.log"
        let fakeDocker: JSONValue = .string("\(TestSupport.repoRoot)/Tests/Fixtures/fake-docker")
        // No FAKE_DOCKER_DAEMON: a daemon check would fail and pick buildah.
        let env = Self.storageEnv().merging(["FAKE_DOCKER_LOG": log, "BUILDKIT_HOST": "tcp://127.0.0.1:1234"]) { $1 }
        let o = try await build(dir, with: ["backend": .null, "docker": fakeDocker, "output": "out/remote"], env: env)
        #expect(o.error == nil && o.result?.summary?.contains("BuildKit at tcp://127.0.0.1:1234") == true, "\(o.transcript)")
        #expect(FileManager.default.fileExists(atPath: "\(dir)/out/remote/index.json"), "the layout is written on this machine")
        var argvs = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
            .compactMap { try? JSONParser.parse(String($0)) }.map { ($0["argv"]?.arrayValue ?? []).compactMap(\.stringValue) }
        #expect(!argvs.contains { $0.first == "info" }, "no daemon is asked for")
        let create = argvs.first { $0.starts(with: ["buildx", "create"]) } ?? []
        let name = create.firstIndex(of: "--name").map { create[$0 + 1] } ?? ""
        #expect(name.hasPrefix("stephost-remote-") && create.suffix(3) == ["--driver", "remote", "tcp://127.0.0.1:1234"], "\(create)")
        let remoteBuild = argvs.first { $0.starts(with: ["buildx", "build"]) } ?? []
        #expect(remoteBuild.firstIndex(of: "--builder").map { remoteBuild[$0 + 1] } == name, "\(remoteBuild)")

        try? FileManager.default.removeItem(atPath: log)
        let named = try await build(dir, with: ["backend": .null, "docker": fakeDocker, "builder": "team-buildkit", "output": "out/named"],
                                    env: Self.storageEnv().merging(["FAKE_DOCKER_LOG": log]) { $1 })
        #expect(named.error == nil, "\(named.transcript)")
        argvs = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
            .compactMap { try? JSONParser.parse(String($0)) }.map { ($0["argv"]?.arrayValue ?? []).compactMap(\.stringValue) }
        #expect(argvs.count == 1 && argvs[0].starts(with: ["buildx", "build", "--builder", "team-buildkit"]), "the team's builder, used as it is: \(argvs)")
        let refused = try await build(dir, with: ["backend": "buildah", "builder": "team-buildkit", "output": "out/no"], env: Self.storageEnv())
        #expect(refused.error?.message.contains("with.builder") == true, "\(refused.transcript)")
    }

    /// The index a layout's tag names, read with skopeo (an independent reader of OCI layouts).
    func index(_ layout: String, tag: String) async throws -> JSONValue {
        let raw = try await TestSupport.run(["skopeo", "inspect", "--raw", "oci:\(layout):\(tag)"], cwd: "/")
        #expect(raw.code == 0, "\(raw.stderr)")
        return try JSONParser.parse(raw.stdout)
    }

    @Test("platforms with buildah: one image per platform in an OCI image index the tags name, per-platform digests, reproducible; no emulator for a Dockerfile without RUN",
          arguments: ["buildah", "docker"])
    func multiPlatform(backend: String) async throws {
        let dir = try await Self.repo()
        let log = "\(TestSupport.tempDir("docker"))/docker.log"
        var with: [String: JSONValue] = ["backend": .string(backend), "platforms": ["linux/amd64", "linux/arm64"], "tags": ["v1"], "output": "out/multi"]
        if backend == "docker" { with["docker"] = .string("\(TestSupport.repoRoot)/Tests/Fixtures/fake-docker") }
        let env = ["FAKE_DOCKER_LOG": log, "FAKE_DOCKER_DAEMON": "1"]
        let o = try await build(dir, with: with, env: env)
        #expect(o.error == nil, "\(o.transcript)")
        let idx = try await index("\(dir)/out/multi", tag: "v1")
        #expect(idx["mediaType"] == "application/vnd.oci.image.index.v1+json", "\(idx)")
        let children = idx["manifests"]?.arrayValue ?? []
        let byArch = Dictionary(uniqueKeysWithValues: children.compactMap { m in m["platform"]?["architecture"]?.stringValue.map { ($0, m["digest"] ?? .null) } })
        #expect(Set(byArch.keys) == ["amd64", "arm64"] && children.allSatisfy { $0["platform"]?["os"] == "linux" })
        #expect(o.outputs["digests"] == .object(byArch), "digests are the index's children: \(o.outputs["digests"] ?? .null)")
        for arch in ["amd64", "arm64"] {
            let config = try await TestSupport.run(["skopeo", "inspect", "--override-arch", arch, "oci:\(dir)/out/multi:v1"], cwd: "/")
            #expect(config.code == 0 && (try? JSONParser.parse(config.stdout))?["Architecture"] == .string(arch), "\(config.output)")
        }
        if backend == "docker" {
            let calls = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
            let builds = calls.map { ($0["argv"]?.arrayValue ?? []).compactMap(\.stringValue) }.filter { $0.starts(with: ["buildx", "build"]) }
            #expect(builds.count == 1 && builds[0].contains("linux/amd64,linux/arm64"), "one buildx build for both platforms: \(builds)")
        } else {
            with["output"] = "out/again"
            let again = try await build(dir, with: with)
            #expect(again.outputs["digest"] == o.outputs["digest"] && again.outputs["digests"] == o.outputs["digests"], "the same sources, the same index")
        }
    }

    @Test("a Dockerfile with RUN for another architecture and no QEMU handler fails before building, saying what it needs")
    func foreignRunNeedsEmulator() async throws {
        let dir = try await TestSupport.gitRepo(["tool/Dockerfile": "FROM scratch\nCOPY a /a\nRUN [\"/a\"]\n", "tool/a": "x\n"])
        let foreign = OCIPlatformName.foreign
        let binfmt = TestSupport.tempDir("binfmt")   // no handler registered there
        let o = try await build(dir, with: ["context": "tool", "platforms": .array(["linux/\(OCIPlatformName.host)", "linux/\(foreign)"].map(JSONValue.string)),
                                            "output": "out/run"], env: ["STEPHOST_BINFMT_DIR": binfmt])
        let message = o.error?.message ?? ""
        #expect(message.contains("has RUN instructions") && message.contains("linux/\(foreign)") && message.contains("no QEMU binfmt handler"), "\(o.transcript)")
        #expect(o.error?.hint?.contains("qemu-user-static") == true && o.error?.hint?.contains("without RUN") == true)
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/out/run/index.json"), "nothing was built")
        let both = try await build(dir, with: ["context": "tool", "platform": "linux/amd64", "platforms": ["linux/arm64"]])
        #expect(both.error?.code == .invalidParams, "\(both.transcript)")
    }

    @Test("runbook row 1: a FROM image whose registry refuses the credentials fails with the registry-token hint")
    func refusedCredentials() async throws {
        let dir = try await Self.repo()
        let log = "\(TestSupport.tempDir("docker"))/docker.log"
        let env = Self.storageEnv().merging(["FAKE_DOCKER_LOG": log, "FAKE_DOCKER_DAEMON": "1", "FAKE_DOCKER_DENY": "1"]) { $1 }
        let o = try await build(dir, with: ["backend": "docker", "docker": .string("\(TestSupport.repoRoot)/Tests/Fixtures/fake-docker"),
                                            "output": "out/denied"], env: env)
        #expect(o.error?.message.contains("invalid username/password") == true, "\(o.transcript)")
        let hint = o.error?.hint ?? ""
        #expect(hint.contains("registry password secret") && hint.contains("read:packages") && hint.contains("write:packages"), "\(hint)")
    }

    @Test("reproducible: false leaves timestamps alone (no --timestamp, no SOURCE_DATE_EPOCH)")
    func notReproducible() async throws {
        let dir = try await Self.repo()
        let log = "\(TestSupport.tempDir("docker"))/docker.log"
        let env = Self.storageEnv().merging(["FAKE_DOCKER_LOG": log, "FAKE_DOCKER_DAEMON": "1"]) { $1 }
        let o = try await build(dir, with: ["backend": "docker", "docker": .string("\(TestSupport.repoRoot)/Tests/Fixtures/fake-docker"),
                                            "reproducible": false, "output": "out/nr"], env: env)
        #expect(o.error == nil, "\(o.transcript)")
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(text.contains("\"buildx\", \"build\""))
        #expect(!text.contains("rewrite-timestamp"))
        #expect(!text.contains("SOURCE_DATE_EPOCH\": \""))
    }

    @Test("an output folder that is not a layout is not deleted; a missing context and a missing Dockerfile are named")
    func badInputs() async throws {
        let dir = try await Self.repo()
        TestSupport.write("\(dir)/keep/precious.txt", "do not delete\n")
        let o = try await build(dir, with: ["output": "keep"])
        #expect(o.error?.message.contains("is not an OCI layout; not deleting it") == true, "\(o.transcript)")
        #expect(FileManager.default.fileExists(atPath: "\(dir)/keep/precious.txt"))
        let noContext = try await build(dir, with: ["context": "processors/missing"])
        #expect(noContext.error?.message.contains("processors/missing is not a folder") == true, "\(noContext.transcript)")
        let noFile = try await build(dir, with: ["dockerfile": "processors/hello/Nope"])
        #expect(noFile.error?.message.contains("no Dockerfile at") == true, "\(noFile.transcript)")
    }

    @Test("$/cancel stops the build and everything it started, and the answer is -32800")
    func cancel() async throws {
        let dir = try await Self.repo()
        let log = "\(TestSupport.tempDir("docker"))/docker.log"
        var call = PluginCall(plugin: "docker-build", with: ["context": "processors/hello", "image": "ghcr.io/acme/hello", "backend": "docker",
                                                             "docker": .string("\(TestSupport.repoRoot)/Tests/Fixtures/fake-docker")], workspace: dir)
        call.env = ["FAKE_DOCKER_LOG": log, "FAKE_DOCKER_HANG": "1"]
        call.cancelWhen = { FileManager.default.fileExists(atPath: "\(log).pid") }
        let o = try await call.send(timeout: 120)
        #expect(o.error?.code == .requestCancelled, "\(o.transcript)")
        let pid = Int32((try? String(contentsOfFile: "\(log).pid", encoding: .utf8)) ?? "") ?? 0
        #expect(pid > 0, "the fake build had started")
        #expect(try await TestSupport.waitUntil(10) { !TestSupport.isAlive(pid) }, "the build's child is gone")
    }

    @Test("a dry run builds nothing")
    func dryRun() async throws {
        let dir = try await Self.repo()
        let o = try await build(dir, dryRun: true)
        #expect(o.error == nil, "\(o.transcript)")
        #expect(o.result?.summary?.contains("would run a buildah build") == true)
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/.stephost/images/hello"))
    }
}

/// This machine's architecture as OCI names it, and another one.
enum OCIPlatformName {
    static var host: String {
        var u = utsname()
        uname(&u)
        let m = withUnsafeBytes(of: &u.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return m == "aarch64" ? "arm64" : "amd64"
    }
    static var foreign: String { host == "amd64" ? "arm64" : "amd64" }
}

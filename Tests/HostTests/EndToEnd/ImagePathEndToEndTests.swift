import Foundation
import StepProtocol
import Testing

/// The image half of the reference pipeline (examples/image-path/stephost.yaml), run by
/// `stephost` with the real plugins: real buildah builds, a real registry, a real git
/// remote; only GitHub's API is a fake.
@Suite("image path end to end", .timeLimit(.minutes(5)),
       .enabled(if: (LocalService.haveRegistry && FileManager.default.isExecutableFile(atPath: "/usr/bin/buildah")) || TestSupport.inCI, "needs docker-registry and buildah"))
struct ImagePathEndToEndTests {
    static let processors = "code/apps/core/processors"
    static let registryDir = "code/apps/core/registry/processors"
    static let token = "ghs_e2eToken5678"

    @Test("only the changed processor is built and pushed; its served digest is pinned in a one-line diff; a second run changes nothing")
    func pipeline() async throws {
        let registry = try await LocalService.registry()
        defer { registry.stop() }
        let github = try await LocalService.fake("github", env: ["FAKE_TOKEN": Self.token])
        defer { github.stop() }

        // A repository shaped like theory-api, with a bare remote as origin.
        let oldPin = "sha256:" + String(repeating: "0a", count: 32)
        let litellmFile = """
        name: llm/litellm@1
        image:
          oci: ghcr.io/acme/theory/llm_litellm@\(oldPin)
        build:
          context: .
          dockerfile: apps/core/processors/llm_litellm/Containerfile
        runtime:
          cpu: "1"
          timeout_s: 60
        secrets:
          required: [OPENAI_API_KEY]

        """
        let repo = try await TestSupport.gitRepo([
            "stephost.yaml": try String(contentsOfFile: "\(TestSupport.repoRoot)/examples/image-path/stephost.yaml", encoding: .utf8),
            "\(Self.processors)/llm_litellm/Containerfile": "FROM scratch\nCOPY main.py /app/main.py\n",
            "\(Self.processors)/llm_litellm/main.py": "print('litellm')\n",
            "\(Self.processors)/replicate_generic/Containerfile": "FROM scratch\nCOPY main.py /app/main.py\n",
            "\(Self.processors)/replicate_generic/main.py": "print('replicate')\n",
            "\(Self.registryDir)/llm_litellm.yaml": litellmFile,
            "\(Self.registryDir)/replicate_generic.yaml": "ref: replicate/generic@1\nimage:\n  oci: ghcr.io/acme/theory/replicate_generic@\(oldPin)\n",
            ".gitignore": ".stephost/\n",
        ])
        let base = try await TestSupport.git(repo, ["rev-parse", "HEAD"])
        _ = try await TestSupport.commit(repo, ["\(Self.processors)/llm_litellm/main.py": "print('litellm, improved')\n"], message: "improve litellm")
        let remote = "\(TestSupport.tempDir("remote"))/theory.git"
        _ = try await TestSupport.git("/tmp", ["init", "-q", "--bare", "-b", "main", remote])
        _ = try await TestSupport.git(repo, ["remote", "add", "origin", remote])
        _ = try await TestSupport.git(repo, ["push", "-q", "origin", "main"])

        let prefix = "\(registry.address)/acme"
        let storage = DockerBuildTests.storageEnv()
        let env = storage.merging(["GITHUB_API_URL": "http://\(github.address)", "GITHUB_TOKEN": Self.token, "GITHUB_ACTOR": "stephost-bot", "GITHUB_REPOSITORY": "acme/theory",
                                   "PATH": "\(TestSupport.binDir):\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")"]) { $1 }
        let args = ["run", "images", "--base", base, "--var", "IMAGE_PREFIX=\(prefix)", "--var", "INSECURE_REGISTRY=true", "--json"]

        // A dry run of the whole chain: every step says what it would do; nothing is built, pushed, written or opened.
        let dry = try await TestSupport.stephost(args + ["--dry-run"], cwd: repo, env: env, timeout: 120)
        #expect(dry.code == 0, "\(dry.output)")
        let drySteps = try dry.summary().stepsByID
        #expect(drySteps["pin[llm_litellm]"]?["summary"]?.stringValue?.contains("would pin") == true, "\(dry.output)")
        #expect(!FileManager.default.fileExists(atPath: "\(repo)/.stephost/images/llm_litellm"))
        #expect(try String(contentsOfFile: "\(repo)/\(Self.registryDir)/llm_litellm.yaml", encoding: .utf8) == litellmFile)
        #expect(github.requests().isEmpty)

        let first = try await TestSupport.stephost(args, cwd: repo, env: env, timeout: 240)
        #expect(first.code == 0, "\(first.output)")
        let steps = try first.summary().stepsByID
        #expect(Set(steps.keys.filter { $0.hasPrefix("build") }) == ["build[llm_litellm]"], "only the changed processor is built: \(steps.keys.sorted())")
        #expect(steps["pr"]?["status"]?.stringValue == "success")

        // The pin is the digest the registry serves for what was pushed, and it is the whole diff.
        let served = try await TestSupport.run(["skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}",
                                                "docker://\(prefix)/llm_litellm:sha-\(try await TestSupport.git(repo, ["rev-parse", "HEAD"]).prefix(12))"], cwd: "/tmp")
        #expect(served.code == 0, "\(served.stderr)")
        let digest = served.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let pinnedFile = try String(contentsOfFile: "\(repo)/\(Self.registryDir)/llm_litellm.yaml", encoding: .utf8)
        #expect(pinnedFile == litellmFile.replacingOccurrences(of: "ghcr.io/acme/theory/llm_litellm@\(oldPin)", with: "\(prefix)/llm_litellm@\(digest)"))
        let diff = try await TestSupport.git(repo, ["diff", "--unified=0", "--no-color", "--", Self.registryDir])
        let changedLines = diff.split(separator: "\n").filter { ($0.hasPrefix("+") || $0.hasPrefix("-")) && !$0.hasPrefix("+++") && !$0.hasPrefix("---") }
        #expect(changedLines == ["-  oci: ghcr.io/acme/theory/llm_litellm@\(oldPin)", "+  oci: \(prefix)/llm_litellm@\(digest)"])
        let catalog = try await TestSupport.run(["skopeo", "list-tags", "--tls-verify=false", "docker://\(prefix)/replicate_generic"], cwd: "/tmp")
        #expect(catalog.code != 0, "the unchanged processor was not pushed")

        // The bot PR carries exactly that change.
        let branch = "stephost/images-pr"
        let commit = try await TestSupport.git(remote, ["rev-parse", "refs/heads/\(branch)"])
        #expect(try await TestSupport.git(remote, ["diff-tree", "--no-commit-id", "-r", "--name-only", commit]) == "\(Self.registryDir)/llm_litellm.yaml")
        let prs = github.requests().filter { $0["method"]?.stringValue == "POST" && $0["path"]?.stringValue == "/repos/acme/theory/pulls" }
        #expect(prs.count == 1, "\(github.requests())")
        #expect(try JSONParser.parse(prs.first?["body"]?.stringValue ?? "null")["base"]?.stringValue == "main")

        // Again: same sources, same digest; nothing pushed, pinned, committed or opened.
        let second = try await TestSupport.stephost(args, cwd: repo, env: env, timeout: 240)
        #expect(second.code == 0, "\(second.output)")
        let again = try second.summary().stepsByID
        #expect(again["push[llm_litellm]"]?["outputs"]?["pushed"] == false)
        #expect(again["pin[llm_litellm]"]?["outputs"]?["changed"] == false)
        #expect(again["pr"]?["outputs"]?["changed"] == false)
        #expect(try await TestSupport.git(remote, ["rev-parse", "refs/heads/\(branch)"]) == commit)
        #expect(github.requests().filter { $0["method"]?.stringValue == "POST" && $0["path"]?.stringValue == "/repos/acme/theory/pulls" }.count == 1,
                "no second PR")
        #expect(!first.output.contains(Self.token) && !second.output.contains(Self.token))
    }
}

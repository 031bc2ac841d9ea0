import Foundation
import StepProtocol
import Testing

/// examples/theory-today: the first pipeline's project as it is laid out today (tools/<ns>/<name>/<ver>/
/// with a registry.yaml beside the code), end to end with the real parts: two-platform images built
/// with buildah, pushed to Debian's docker-registry, one digest per platform pinned byte-exactly, the
/// bot PR against a fake GitHub API and a bare git remote, and the deploy of the amd64 digests to the fake Modal.
/// Eight image builds: a pass of its own with the other heavy suites (`STEPHOST_SLOW_TESTS=1`; .ci/run does), so
/// that they do not starve the main suite's timing-sensitive tests on a 2-core machine.
@Suite("examples/theory-today end to end", .timeLimit(.minutes(8)),
       .enabled(if: TestSupport.slowPass && ((LocalService.haveRegistry && FileManager.default.isExecutableFile(atPath: "/usr/bin/buildah") && FakeModal.canDeploy) || TestSupport.inCI),
                "needs docker-registry, buildah and the modal package; runs in the slow pass (STEPHOST_SLOW_TESTS=1)"))
struct TheoryTodayTests {
    static let manifest = "examples/theory-today/stephost.yaml"
    static let litellm = "examples/theory-today/tools/llm/litellm/2"
    static let wordcount = "examples/theory-today/tools/text/wordcount/1"

    @Test("a changed tool: a linux/amd64 + linux/arm64 index pushed, each platform's digest pinned into its registry.yaml and nothing else, a bot PR; deploy runs the amd64 digest")
    func pipeline() async throws {
        let registry = try await LocalService.registry()
        defer { registry.stop() }
        let github = try await LocalService.fake("github", env: ["FAKE_TOKEN": ReferencePipelineTests.githubToken])
        defer { github.stop() }
        let modal = try FakeModal()
        modal.seedSecrets(["REGISTRY_AUTH"])

        var files = try await TestSupport.repositoryFiles { $0.hasPrefix("examples/theory-today/") || $0 == "Registry/registry.py" || $0 == "Registry/modal_app.py" }
        files[".gitignore"] = ".stephost/\n__pycache__/\n"
        let repo = try await TestSupport.gitRepo(files)
        let remote = "\(TestSupport.tempDir("remote"))/theory-api.git"
        _ = try await TestSupport.git("/tmp", ["init", "-q", "--bare", "-b", "main", remote])
        _ = try await TestSupport.git(repo, ["remote", "add", "origin", remote])
        _ = try await TestSupport.git(repo, ["push", "-q", "origin", "main"])
        let before = try String(contentsOfFile: "\(repo)/\(Self.litellm)/registry.yaml", encoding: .utf8)
        let wordcountBefore = try String(contentsOfFile: "\(repo)/\(Self.wordcount)/registry.yaml", encoding: .utf8)

        let c0 = try await TestSupport.git(repo, ["rev-parse", "HEAD"])
        _ = try await TestSupport.commit(repo, ["\(Self.litellm)/main.py": "print('litellm v2, improved')\n"], message: "litellm changes")
        let prefix = "\(registry.address)/acme"
        var env = DockerBuildTests.storageEnv().merging(modal.environment) { $1 }
        env.merge(["GITHUB_API_URL": "http://\(github.address)", "GITHUB_TOKEN": ReferencePipelineTests.githubToken, "GITHUB_ACTOR": "stephost-bot",
                   "GITHUB_REPOSITORY": "acme/theory-api", "MODAL_TOKEN_ID": "ak-today-id", "MODAL_TOKEN_SECRET": "as-today-secret"]) { $1 }
        func stephost(_ args: [String]) async throws -> [String: JSONValue] {
            let r = try await TestSupport.stephost(args + ["-f", Self.manifest, "--json"], cwd: repo, env: env, timeout: 300)
            #expect(r.code == 0, "stephost \(args.joined(separator: " ")):\n\(r.output)")
            return Dictionary(uniqueKeysWithValues: ((try? r.summary()["steps"]?.arrayValue) ?? []).compactMap { s in s["id"]?.stringValue.map { ($0, s) } })
        }
        let vars = ["--var", "IMAGE_PREFIX=\(prefix)", "--var", "INSECURE_REGISTRY=true"]
        let main = try await stephost(["run", "main", "--base", c0] + vars)
        #expect(Set(main.keys.filter { $0.hasPrefix("build") }) == ["build[llm-litellm]"], "only the changed tool: \(main.keys.sorted())")
        let refs = main["push[llm-litellm]"]?["outputs"]?["refs"]
        let amd = refs?["amd64"]?.stringValue ?? "", arm = refs?["arm64"]?.stringValue ?? ""
        #expect(amd.hasPrefix("\(prefix)/llm-litellm@sha256:") && arm.hasPrefix("\(prefix)/llm-litellm@sha256:") && amd != arm, "\(refs ?? .null)")
        #expect(main["build[llm-litellm]"]?["outputs"]?["digests"]?["amd64"]?.stringValue == amd.components(separatedBy: "@").last)

        // The registry serves an index of both platforms under the tag, whose children are the pinned digests.
        let tag = main["build[llm-litellm]"]?["outputs"]?["image"]?.stringValue?.components(separatedBy: ":").last ?? ""
        let raw = try await TestSupport.run(["skopeo", "inspect", "--tls-verify=false", "--raw", "docker://\(prefix)/llm-litellm:\(tag)"], cwd: "/")
        let index = try JSONParser.parse(raw.stdout)
        let children = Dictionary(uniqueKeysWithValues: (index["manifests"]?.arrayValue ?? []).compactMap { m in
            m["platform"]?["architecture"]?.stringValue.map { ($0, "\(prefix)/llm-litellm@\(m["digest"]?.stringValue ?? "")") } })
        #expect(children == ["amd64": amd, "arm64": arm], "\(raw.output)")

        // The registry file: the two digests, and not one other byte.
        let after = try String(contentsOfFile: "\(repo)/\(Self.litellm)/registry.yaml", encoding: .utf8)
        let lines = before.components(separatedBy: "\n")
        let expected = lines.map { line -> String in
            if line.hasPrefix("    amd64: ") { return "    amd64: \(amd)" }
            if line.hasPrefix("    arm64: ") { return "    arm64: \(arm)" }
            return line
        }.joined(separator: "\n")
        #expect(after == expected, "byte for byte:\n\(after)")
        #expect(try String(contentsOfFile: "\(repo)/\(Self.wordcount)/registry.yaml", encoding: .utf8) == wordcountBefore, "the unchanged tool's file is untouched")
        #expect(main["pr"]?["outputs"]?["changed"] == true)
        let branch = main["pr"]?["outputs"]?["branch"]?.stringValue ?? ""
        let pushed = try await TestSupport.git(remote, ["show", "\(branch):\(Self.litellm)/registry.yaml"])
        #expect(pushed == after.trimmingCharacters(in: .newlines), "the bot's branch carries the pins")

        // The same sources again: the same two digests, nothing to pin, no second PR.
        _ = try await TestSupport.commit(repo, [:], message: "merge the bot's pins")
        let again = try await stephost(["run", "main", "--base", c0] + vars)
        #expect(again["pin[llm-litellm]"]?["outputs"]?["changed"] == false && again["pr"]?["outputs"]?["changed"] == false, "reproducible per platform")

        // deploy --env dev: each tool's function gets its amd64 digest.
        let deployed = try await stephost(["run", "deploy", "--env", "dev"])
        #expect(deployed.values.allSatisfy { $0["status"] == "success" }, "\(deployed)")
        #expect(modal.function("exec__llm_litellm__v2", env: "dev")?["image"] == .string(amd), "Modal runs the amd64 digest: \(modal.state())")
        let wordcountAmd = wordcountBefore.components(separatedBy: "\n").first { $0.hasPrefix("    amd64: ") }?
            .dropFirst("    amd64: ".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) ?? ""
        #expect(modal.function("exec__text_wordcount__v1", env: "dev")?["image"] == .string(wordcountAmd))
    }

    @Test("detect-changes finds units three folders down (tools/*/*/*), and registry.py units reads their registry.yaml")
    func units() async throws {
        var files = try await TestSupport.repositoryFiles { $0.hasPrefix("examples/theory-today/tools/") || $0 == "Registry/registry.py" }
        files["stephost.yaml"] = """
            workflows:
              w:
                steps:
                  - id: changes
                    uses: detect-changes
                    with: {groups: {tools: "examples/theory-today/tools/*/*/*"}}
                  - id: units
                    uses: exec
                    needs: [changes]
                    with: {argv: [python3, Registry/registry.py, units, "${{ toJSON(steps.changes.outputs.tools) }}"]}
            """
        let repo = try await TestSupport.gitRepo(files)
        let c0 = try await TestSupport.git(repo, ["rev-parse", "HEAD"])
        _ = try await TestSupport.commit(repo, ["\(Self.wordcount)/main.py": "print('v2')\n", "examples/theory-today/tools/README.md": "not a unit\n"])
        let r = try await TestSupport.stephost(["run", "w", "--base", c0, "--json"], cwd: repo)
        #expect(r.code == 0, "\(r.output)")
        let steps = try r.summary()["steps"]?.arrayValue ?? []
        #expect(steps.first?["outputs"]?["tools"] == [["name": "1", "path": .string(Self.wordcount)]], "\(steps.first?["outputs"] ?? .null)")
        let list = try JSONParser.parse(steps.last?["outputs"]?["list"]?.stringValue ?? "[]")
        let unit = list.arrayValue?.first
        #expect(list.arrayValue?.count == 1 && unit?["name"] == "text-wordcount" && unit?["ref"] == "text/wordcount@1"
                && unit?["file"] == .string("\(Self.wordcount)/registry.yaml") && unit?["function"] == "exec__text_wordcount__v1", "\(list)")
    }
}

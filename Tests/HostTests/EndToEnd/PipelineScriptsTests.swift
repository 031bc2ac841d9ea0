import Foundation
import StepProtocol
import Testing

/// The reference pipeline's helper scripts, run as the exec steps run them.
@Suite("pipeline scripts", .timeLimit(.minutes(1)))
struct PipelineScriptsTests {
    static let template = "\(TestSupport.repoRoot)/scripts/check-pr-template.py"
    static let registry = "\(TestSupport.repoRoot)/Registry/registry.py"

    func checkTemplate(_ text: String, name: String = "body.md") async throws -> TestSupport.Result {
        let path = "\(TestSupport.tempDir("pr"))/\(name)"
        TestSupport.write(path, text)
        return try await TestSupport.run(["python3", Self.template, path], cwd: "/tmp")
    }

    @Test("the repository's own PR template passes once each section has text; missing and empty sections are listed")
    func prTemplate() async throws {
        let template = try String(contentsOfFile: "\(TestSupport.repoRoot)/.github/pull_request_template.md", encoding: .utf8)
        let unfilled = try await checkTemplate(template)
        #expect(unfilled.code == 1)
        #expect(unfilled.stderr.contains("empty section(s): Linked Issue, Summary, Documentation, Testing, Safety"), "\(unfilled.stderr)")

        let filled = template.replacingOccurrences(of: #"<!--[^>]*-->"#, with: "Filled in.", options: .regularExpression)
        let event: JSONValue = ["pull_request": ["number": 7, "body": .string(filled)]]
        let ok = try await checkTemplate(event.encoded(), name: "event.json")
        #expect(ok.code == 0, "\(ok.stderr)")

        let partial = "### Summary\nMore caching.\n## Testing\nunit tests\n"
        let missing = try await checkTemplate(partial)
        #expect(missing.code == 1)
        #expect(missing.stderr.contains("missing section(s): Linked Issue, Documentation, Safety"), "\(missing.stderr)")

        let notAPR = try await checkTemplate(#"{"push": {}}"#, name: "push.json")
        #expect(notAPR.code != 0 && notAPR.stderr.contains("not a pull_request event payload"))
    }

    @Test("registry.py reads both registry formats: name:/ref:, flow and block lists (also at the key's indentation), units")
    func registryFormats() async throws {
        let dir = TestSupport.tempDir("reg")
        TestSupport.write("\(dir)/llm_litellm.yaml", """
        # comment
        name: llm/litellm@1
        image:
          oci: "ghcr.io/acme/llm_litellm@sha256:\(String(repeating: "ab", count: 32))"   # pinned
        runtime:
          cpu: "1"
          memory_gb: 2
          timeout_s: 60
        secrets:
          required: [OPENAI_API_KEY, 'LITELLM_API_BASE']

        """)
        TestSupport.write("\(dir)/replicate_generic.yaml", """
        ref: replicate/generic@1
        runtime:
          cpu: 2
          memory: 2Gi
          gpu: A10G
        image:
          oci: ghcr.io/acme/replicate:latest
        secrets:
          required:
          - REPLICATE_API_TOKEN
          optional: []

        """)
        let out = "\(dir)/out"
        #expect(FileManager.default.createFile(atPath: out, contents: nil))
        let r = try await TestSupport.run(["python3", Self.registry, "processors", dir], cwd: dir, env: ["STEPHOST_OUTPUT": out])
        #expect(r.code == 0, "\(r.stderr)")
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        let list = try JSONParser.parse(String(lines.first { $0.hasPrefix("list=") }!.dropFirst(5)))
        #expect(list.arrayValue?.first?["ref"] == "llm/litellm@1")
        #expect(list.arrayValue?.map { $0["function"] } == ["exec__llm_litellm__v1", "exec__replicate_generic__v1"])
        #expect(list.arrayValue?.last?["image"] == "ghcr.io/acme/replicate:latest")

        let script = """
            import json, sys
            sys.path.insert(0, sys.argv[1])
            import registry
            print(json.dumps([registry.load(p) for p in sys.argv[2:]]))
            """
        let loaded = try await TestSupport.run(["python3", "-c", script, "\(TestSupport.repoRoot)/Registry", "\(dir)/llm_litellm.yaml", "\(dir)/replicate_generic.yaml"], cwd: dir)
        let files = try JSONParser.parse(loaded.stdout)
        #expect(files.arrayValue?[0]["secrets"] == ["OPENAI_API_KEY", "LITELLM_API_BASE"])
        #expect(files.arrayValue?[0]["runtime"] == ["CPU": "1", "MEMORY_MIB": "2048", "TIMEOUT_S": "60"])
        #expect(files.arrayValue?[1]["secrets"] == ["REPLICATE_API_TOKEN"])
        #expect(files.arrayValue?[1]["runtime"] == ["CPU": "2", "MEMORY_MIB": "2048", "GPU": "A10G"])

        let pins = try await TestSupport.run(["python3", Self.registry, "check-pins", dir], cwd: dir)
        #expect(pins.code == 1)
        #expect(pins.stderr.contains("replicate_generic.yaml: image.oci is 'ghcr.io/acme/replicate:latest'"), "\(pins.stderr)")
        #expect(!pins.stderr.contains("llm_litellm.yaml:"))
    }

    @Test("check-secrets names what the Modal environment lacks; snapshot refuses an unknown revision")
    func secretsAndSnapshot() async throws {
        let dir = TestSupport.tempDir("reg")
        TestSupport.write("\(dir)/a.yaml", "ref: a/b@1\nimage:\n  oci: x@sha256:\(String(repeating: "0", count: 64))\nsecrets:\n  required: [OPENAI_API_KEY]\n")
        let listing = #"[{"Name": "REGISTRY_AUTH", "Created at": "now"}]"#
        let input = "\(dir)/listing.json"
        TestSupport.write(input, listing)
        let r = try await TestSupport.run(["/bin/sh", "-c", "python3 '\(Self.registry)' check-secrets '\(dir)' < '\(input)'"], cwd: dir, env: ["MODAL_ENVIRONMENT": "staging"])
        #expect(r.code == 1)
        #expect(r.stderr.contains("Modal environment 'staging' lacks secret(s) OPENAI_API_KEY: run the secrets-ensure workflow first"), "\(r.stderr)")

        let repo = try await TestSupport.gitRepo(["Registry/processors/a.yaml": "ref: a/b@1\n"])
        let bad = try await TestSupport.run(["python3", Self.registry, "snapshot", "no-such-rev", "Registry/processors", ".stephost/x"], cwd: repo)
        #expect(bad.code == 1 && bad.stderr.contains("registry-rev 'no-such-rev' is not a commit git knows"), "\(bad.stderr)")
        let empty = try await TestSupport.run(["python3", Self.registry, "snapshot", "", "Registry/processors", ".stephost/x"], cwd: repo)
        #expect(empty.stderr.contains("--var registry-rev="), "\(empty.stderr)")
    }
}

/// The reference pipeline's docs workflow on a copy of this repository with a bare remote.
@Suite("docs workflow", .timeLimit(.minutes(2)))
struct DocsWorkflowTests {
    @Test("stephost run docs checks the docs, builds the site and publishes it to gh-pages once, the checkout untouched")
    func publishes() async throws {
        var files = try await TestSupport.repositoryFiles { path in
            path.hasSuffix(".md") || path.hasSuffix("stephost.yaml") || path == "action.yml"
                || ["scripts/", "examples/", "Registry/", "Tests/Fixtures/", ".github/", "benchmarks/"].contains { path.hasPrefix($0) }
        }
        files[".gitignore"] = ".stephost/\n"
        let repo = try await TestSupport.gitRepo(files, binaries: try await TestSupport.repositoryBinaries { $0.hasPrefix("docs/") })
        for script in ["scripts/docs.py", "scripts/lint.sh", "scripts/check-pr-template.py"] {
            chmod("\(repo)/\(script)", 0o755)
        }
        _ = try await TestSupport.commit(repo, [:], message: "executable scripts")
        let remote = "\(TestSupport.tempDir("remote"))/site.git"
        _ = try await TestSupport.git("/tmp", ["init", "-q", "--bare", "-b", "main", remote])
        _ = try await TestSupport.git(repo, ["remote", "add", "origin", remote])
        let env = ["GITHUB_TOKEN": "ghs_docsToken777", "PATH": "\(TestSupport.binDir):\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")"]

        let first = try await TestSupport.stephost(["run", "docs"], cwd: repo, env: env, timeout: 120)
        #expect(first.code == 0, "\(first.output)")
        #expect(first.output.contains("docs: 3 graphs current") && first.output.contains("published"), "\(first.output)")
        #expect(!first.output.contains("ghs_docsToken777"))
        let index = try await TestSupport.git(remote, ["show", "gh-pages:index.md"])
        #expect(index + "\n" == files["README.md"], "the site's index is the README")
        #expect(try await TestSupport.git(remote, ["ls-tree", "--name-only", "gh-pages", "docs/"]).contains("docs/plugins.md"))
        let site = try await TestSupport.git(remote, ["ls-tree", "-r", "--name-only", "gh-pages"])
        for linked in ["Registry/modal_app.py", "stephost.yaml", "examples/theory/processors/llm_litellm/Dockerfile", "Tests/Fixtures/fake-modal/bin/modal"] {
            #expect(site.split(separator: "\n").contains(Substring(linked)), "\(linked) is on the site, so README's link to it works there")
        }
        let published = try await TestSupport.git(remote, ["rev-parse", "gh-pages"])

        let second = try await TestSupport.stephost(["run", "docs"], cwd: repo, env: env, timeout: 120)
        #expect(second.code == 0, "\(second.output)")
        #expect(second.output.contains("gh-pages already holds this site"), "\(second.output)")
        #expect(try await TestSupport.git(remote, ["rev-parse", "gh-pages"]) == published)
        #expect(try await TestSupport.git(repo, ["status", "--porcelain"]).isEmpty)
        #expect(try await TestSupport.git(repo, ["branch", "--show-current"]) == "main")
    }
}

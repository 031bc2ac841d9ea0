import Foundation
import StepProcess
import StepProtocol
import Testing

/// Splitting a run across machines: --only/--until, records handed over by path, runs merge,
/// the GitHub matrix and the Buildkite pipeline (checked with Buildkite's published schema).
@Suite("scale-out: --only, --until, portable records, runs merge, plan formats", .timeLimit(.minutes(8)))
struct ScaleOutTests {
    static let token = "tok-scaleout-7731"
    /// list -> build (for-each) -> push (for-each, paired) -> final; build is granted a secret.
    static let manifest = """
        environments:
          ci:
            secrets: {TOKEN: env:SCALE_TOKEN}
        workflows:
          w:
            steps:
              - id: list
                uses: fake
                with: {outputs: {items: [a, b, c]}}
              - id: build
                uses: fake
                needs: [list]
                for-each: ${{ steps.list.outputs.items }}
                environment: ci
                secrets: [TOKEN]
                with: {outputs: {digest: "d-${{ item }}"}}
              - id: push
                uses: fake
                needs: [build]
                for-each: ${{ steps.list.outputs.items }}
                with: {outputs: {ref: "r-${{ steps.build.outputs.digest }}"}}
              - id: final
                uses: fake
                needs: [push]
                with: {outputs: {all: "${{ toJSON(steps.push.outputs.ref) }}"}}
        """
    var plugin: [String] { ["--plugin", "fake=\(TestSupport.fake)"] }
    var env: [String: String] { ["SCALE_TOKEN": Self.token] }

    func run(_ repo: String, _ args: [String], code: Int32 = 0) async throws -> TestSupport.Result {
        let r = try await TestSupport.stephost(args + (args.first == "runs" ? [] : plugin), cwd: repo, env: env, timeout: 60)
        #expect(r.code == code, "stephost \(args.joined(separator: " ")) exited \(r.code):\n\(r.output)")
        return r
    }

    func steps(_ r: TestSupport.Result) throws -> [String: JSONValue] {
        Dictionary(uniqueKeysWithValues: (try r.summary()["steps"]?.arrayValue ?? []).compactMap { s in s["id"]?.stringValue.map { ($0, s) } })
    }

    func records(_ repo: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: "\(repo)/.stephost/runs").sorted()
    }

    @Test("--until runs a step and what it needs; --only runs the selection on a resumed run's outputs; the rest is skipped (not selected)")
    func selection() async throws {
        let repo = try await TestSupport.gitRepo(["stephost.yaml": Self.manifest])
        let until = try steps(try await run(repo, ["run", "w", "--until", "list", "--json"]))
        #expect(until["list"]?["status"] == "success")
        for id in ["build[a]", "push[c]", "final"] {
            #expect(until[id]?["status"] == "skipped" && until[id]?["reason"] == "not selected", "\(id): \(until[id] ?? .null)")
        }
        // A need left out, and no record to take it from: nothing runs, and the need is named.
        let refused = try await run(repo, ["run", "w", "--only", "build[a],push[a]"], code: 2)
        #expect(refused.stderr.contains("step 'build' needs 'list', which is not selected"), "\(refused.stderr)")
        #expect(try records(repo).count == 1, "a refused run leaves no record")

        let only = try steps(try await run(repo, ["run", "w", "--only", "build[a],push[a]", "--resume", "last", "--json"]))
        #expect(only["list"]?["reason"]?.stringValue?.hasPrefix("reused from run") == true)
        #expect(only["build[a]"]?["status"] == "success" && only["push[a]"]?["outputs"]?["ref"] == "r-d-a", "recorded outputs feed the selection")
        #expect(only["build[b]"]?["reason"] == "not selected" && only["final"]?["reason"] == "not selected")
        #expect(only["build[a]"]?["ranIn"] != nil && only["list"]?["ranIn"] == until["list"]?["ranIn"], "ranIn: where each step actually ran")

        for (args, message) in [(["--only", "nosuch"], "workflow 'w' of stephost.yaml has no step 'nosuch'"),
                                (["--only", "list[x]"], "step 'list' has no for-each"),
                                (["--only", "build[a"], "'[' without ']'"),
                                (["--only", "build[a],,final"], "an empty item"),
                                (["--until", "final", "--only", "list"], "--only and --until do not go together")] {
            let r = try await run(repo, ["run", "w"] + args, code: 2)
            #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
    }

    @Test("a record copied into another checkout resumes there by path; runs merge joins the pieces; the rest runs once; no secret in any record")
    func splitAndMerge() async throws {
        let repo = try await TestSupport.gitRepo(["stephost.yaml": Self.manifest])
        let other = TestSupport.tempDir("clone")
        _ = try await TestSupport.run(["git", "clone", "-q", repo, other], cwd: "/tmp")
        _ = try await run(repo, ["run", "w", "--until", "list"])
        let prepare = try records(repo)[0]
        // Leg 1 here; leg 2 in the other checkout, from a copy of the record given by path (as a CI artifact).
        _ = try await run(repo, ["run", "w", "--only", "build[a],push[a]", "--resume", "last"])
        let carried = TestSupport.tempDir("artifact")
        try TestSupport.copyTree("\(repo)/.stephost/runs/\(prepare)", to: "\(carried)/\(prepare)")
        let leg2 = try steps(try await run(other, ["run", "w", "--only", "build[b,c],push[b,c]", "--resume", "\(carried)/\(prepare)", "--json"]))
        #expect(leg2["list"]?["reason"] == .string("reused from run \(prepare)") && leg2["push[c]"]?["status"] == "success")
        let leg2ID = try records(other)[0]
        try TestSupport.copyTree("\(other)/.stephost/runs/\(leg2ID)", to: "\(repo)/.stephost/runs/\(leg2ID)")

        let sources = try records(repo)
        let merged = try await run(repo, ["runs", "merge"] + sources + ["--id", "merged"])
        #expect(merged.stdout == "merged\n")
        let rest = try await run(repo, ["run", "w", "--resume=merged", "--json", "--junit", "junit.xml"])
        let s = try steps(rest)
        #expect(s.count == 8, "every step once: \(s.keys.sorted())")
        for id in ["list", "build[a]", "build[b]", "build[c]", "push[a]", "push[b]", "push[c]"] {
            #expect(s[id]?["reason"] == "reused from run merged", "\(id) ran in a piece and not again: \(s[id] ?? .null)")
        }
        #expect(s["list"]?["ranIn"] == .string(prepare) && s["build[c]"]?["ranIn"] == .string(leg2ID), "\(s["build[c]"] ?? .null)")
        let restID = try rest.summary()["id"]
        #expect(s["final"]?["status"] == "success" && s["final"]?["ranIn"] == restID)
        #expect(s["final"]?["outputs"]?["all"] == #"{"a":"r-d-a","b":"r-d-b","c":"r-d-c"}"#, "the legs' outputs reach the final step")
        let resumedFrom = try rest.summary()["resumedFrom"]
        #expect(resumedFrom == "merged")
        // The merged record names its sources; JUnit carries ranIn, read by junitparser.
        let journal = try String(contentsOfFile: "\(repo)/.stephost/runs/merged/journal.jsonl", encoding: .utf8)
        let head = try JSONParser.parse(String(journal.split(separator: "\n")[0]))
        #expect(head["resumedFrom"]?.arrayValue?.compactMap(\.stringValue) == sources)
        let py = try await TestSupport.run(["python3", "-c", """
            import sys, junitparser
            for suite in junitparser.JUnitXml.fromfile(sys.argv[1]):
                for case in suite:
                    props = {p.get('name'): p.get('value') for p in case._elem.iter('property')}
                    print(case.name, props.get('ranIn', '-'))
            """, "\(repo)/junit.xml"], cwd: repo)
        #expect(py.code == 0 && py.stdout.contains("build[c] \(leg2ID)") && py.stdout.contains("list \(prepare)"), "\(py.output)")
        // Records are masked: the secret granted to build is in none of them, in either checkout.
        for dir in [repo, other] {
            let grep = try await TestSupport.run(["grep", "-rl", Self.token, ".stephost"], cwd: dir)
            #expect(grep.stdout.isEmpty, "a secret in \(grep.stdout)")
        }
    }

    @Test("runs merge refuses the same step succeeding with different outputs, naming both runs, and writes nothing")
    func mergeConflict() async throws {
        let repo = try await TestSupport.gitRepo(["stephost.yaml": Self.manifest])
        _ = try await run(repo, ["run", "w", "--until", "list"])
        _ = try await run(repo, ["run", "w", "--until", "list"])   // the fake's outputs carry its run id: they differ
        let ids = try records(repo)
        let r = try await run(repo, ["runs", "merge"] + ids + ["--id", "both"], code: 2)
        #expect(r.stderr.contains("step 'list' succeeded in run \(ids[0]) and in run \(ids[1]) with different outputs"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(repo)/.stephost/runs/both"))
        let missing = try await run(repo, ["runs", "merge", "nosuch"], code: 2)
        #expect(missing.stderr.contains("no run 'nosuch'"), "\(missing.stderr)")
    }

    /// A workflow whose for-each list is a literal of `n` items, then a paired step and one after.
    static func literal(_ n: Int) -> String {
        """
        workflows:
          w:
            steps:
              - id: first
                uses: fake
              - id: build
                uses: fake
                needs: [first]
                for-each: [\((0..<n).map { "p\($0)" }.joined(separator: ", "))]
              - id: push
                uses: fake
                needs: [build]
                for-each: [\((0..<n).map { "p\($0)" }.joined(separator: ", "))]
              - id: done
                uses: fake
                needs: [push]
                if: always()
        """
    }

    @Test("plan --format github-matrix: a leg per instance, chunks dealt round-robin, GitHub's 256 legs, the count in GITHUB_OUTPUT")
    func githubMatrix() async throws {
        let repo = try await TestSupport.gitRepo(["stephost.yaml": Self.manifest, "big.yaml": Self.literal(300), "small.yaml": Self.literal(3)])
        _ = try await run(repo, ["run", "w", "--until", "list"])
        let legs = try JSONParser.parse(try await run(repo, ["plan", "w", "--format", "github-matrix", "--step", "build", "--resume", "last"]).stdout)
        #expect(legs == ["include": [["only": "build[a]", "key": "a", "name": "build[a]"], ["only": "build[b]", "key": "b", "name": "build[b]"],
                                      ["only": "build[c]", "key": "c", "name": "build[c]"]]])
        let unknown = try await run(repo, ["plan", "w", "--format", "github-matrix", "--step", "build"], code: 2)
        #expect(unknown.stderr.contains("read from step 'list': pass --resume RUN"), "\(unknown.stderr)")

        let big = try JSONParser.parse(try await run(repo, ["plan", "w", "-f", "big.yaml", "--format", "github-matrix", "--step", "build"]).stdout)
        let include = big["include"]?.arrayValue ?? []
        #expect(include.count == 256, "GitHub's limit")
        let dealt = include.flatMap { ($0["key"]?.stringValue ?? "").split(separator: ",").map(String.init) }
        #expect(dealt.count == 300 && Set(dealt).count == 300, "every instance in one leg")
        #expect(include[0]["only"] == "build[p0,p256]" && include[0]["name"] == "build (chunk 1/256)" && include[44]["key"] == "p44")

        let out = "\(repo)/github-output"
        #expect(FileManager.default.createFile(atPath: out, contents: nil))
        let chunked = try await TestSupport.stephost(["plan", "w", "-f", "small.yaml", "--format", "github-matrix", "--step", "build", "--chunks", "2",
                                                      "--github-output", "legs"] + plugin, cwd: repo, env: ["GITHUB_OUTPUT": out])
        #expect(chunked.code == 0, "\(chunked.stderr)")
        let written = try String(contentsOfFile: out, encoding: .utf8)
        #expect(written.contains(#"legs={"include":[{"key":"p0,p2","name":"build (chunk 1/2)","only":"build[p0,p2]"},{"key":"p1","name":"build (chunk 2/2)","only":"build[p1]"}]}"#)
                && written.contains("legs-count=2\n"), "\(written)")
        // A leg's selection runs as is.
        let leg = try steps(try await run(repo, ["run", "w", "-f", "small.yaml", "--only", "first,build[p0,p2]", "--json"]))
        #expect(leg["build[p0]"]?["status"] == "success" && leg["build[p2]"]?["status"] == "success" && leg["build[p1]"]?["reason"] == "not selected")
    }

    @Test("plan --format buildkite is valid against Buildkite's published schema, 500 steps a document, instances paired; an unknown list is planned later")
    func buildkite() async throws {
        guard Self.haveCheckJSONSchema else {
            #expect(!TestSupport.inCI, "check-jsonschema (PyPI) is missing in CI")
            return
        }
        let repo = try await TestSupport.gitRepo(["stephost.yaml": Self.manifest, "big.yaml": Self.literal(300)])
        let text = try await run(repo, ["plan", "w", "-f", "big.yaml", "--format", "buildkite"]).stdout
        let documents = text.components(separatedBy: "\n---\n")
        #expect(documents.count == 2, "602 steps: two uploads")
        for (n, doc) in documents.enumerated() {
            let file = "\(repo)/bk-\(n).yaml"
            TestSupport.write(file, doc)
            // A 300-step document against the published schema takes seconds; more on a loaded machine.
            let check = try await TestSupport.run(["check-jsonschema", "--builtin-schema", "vendor.buildkite", file], cwd: repo, timeout: 300)
            #expect(check.code == 0, "document \(n): \(check.output)")
            #expect(doc.components(separatedBy: "\n  - label: ").count - 1 <= 500)
        }
        #expect(text.contains("key: \"push_p7_\"\n    depends_on: [\"build_p7_\"]\n"), "a paired instance waits for its namesake")
        #expect(text.contains("key: \"done\"\n    depends_on: [") && text.contains("allow_dependency_failure: true"), "if: always() runs after failures")
        // Values reach the script through its environment, never its text; every `$` is Buildkite's `$$`.
        #expect(text.contains(#"STEPHOST_ARGS: "[\"w\",\"-f\",\"big.yaml\",\"--plugin\","#) && text.contains(#"STEPHOST_ONLY: "build[p7]""#)
                && text.contains(#"stephost run --args-json "$$STEPHOST_ARGS" --only "$$STEPHOST_ONLY" $$resume --run-id"#),
                "each step runs its own selection, with the options the plan was made with")

        // The list read from a step: a step that plans the rest once everything before it ran.
        let later = try await run(repo, ["plan", "w", "--format", "buildkite"]).stdout
        TestSupport.write("\(repo)/later.yaml", "\(later)")
        let check = try await TestSupport.run(["check-jsonschema", "--builtin-schema", "vendor.buildkite", "\(repo)/later.yaml"], cwd: repo, timeout: 300)
        #expect(check.code == 0, "\(check.output)")
        #expect(later.contains("key: \"plan-build\"\n    depends_on: [\"list\"]") && later.contains("--format buildkite --resume=\"$$resume_id\" | buildkite-agent pipeline upload"), "\(later)")
        #expect(!later.contains("key: \"final\""), "what follows an unknown list waits for it")
        // Planned again with the record: what ended is left out, the instances are known.
        _ = try await run(repo, ["run", "w", "--until", "list"])
        let rest = try await run(repo, ["plan", "w", "--format", "buildkite", "--resume", "last"]).stdout
        #expect(!rest.contains("key: \"list\"") && rest.contains("key: \"build_c_\"") && rest.contains("key: \"final\"\n    depends_on: [\"push_a_\", \"push_b_\", \"push_c_\"]"), "\(rest)")
    }

    static let haveCheckJSONSchema = Command.which("check-jsonschema") != nil
}

/// The workflow `stephost ci github` prints, run for real by nektos/act: every job in its own copy of
/// the repository, records moving only as artifacts (local stand-ins for the artifact actions that
/// copy to and from a shared folder; act's own artifact server is never started).
@Suite("scale-out: stephost ci github through act", .timeLimit(.minutes(10)),
       .enabled(if: TestSupport.slowPass && (ActRunner.available || TestSupport.inCI), "runs in the slow pass (STEPHOST_SLOW_TESTS=1)"))
struct FanOutActTests {
    static let token = "ghs_fanOutToken5150"
    /// The plugins of the image half faked by one flag (detect-changes and exec stay real).
    static let fake = "fake=stephost-fake-plugin --steps docker-build,ghcr-push,pin-digest,bot-pr,notify --any-inputs"

    @Test("the reference pipeline's main split per processor across matrix legs ends as one local run: same steps, same inputs, nothing run twice")
    func referencePipelineSplit() async throws {
        var files = try await TestSupport.repositoryFiles { $0 == "stephost.yaml" || $0.hasPrefix("Registry/") || $0.hasPrefix("examples/theory/") }
        files[".gitignore"] = ".stephost/\n__pycache__/\n"
        let repo = try await TestSupport.gitRepo(files)
        let base = try await TestSupport.git(repo, ["rev-parse", "HEAD"])
        let head = try await TestSupport.commit(repo, ["examples/theory/processors/text_wordcount/main.py": "print('wordcount v2')\n",
                                                       "examples/theory/processors/llm_litellm/main.py": "print('litellm v2')\n"],
                                                message: "two processors change")
        let path = "\(TestSupport.binDir):\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")"
        let generated = try await TestSupport.stephost(["ci", "github", "main", "--fan-out", "build", "--plugin", Self.fake],
                                                       cwd: repo, env: ["PATH": path])
        #expect(generated.code == 0, "\(generated.stderr)")
        let workflow = generated.stdout
        // The workflow and its options reach every job through STEPHOST_ARGS (env), never a script's text.
        #expect(workflow.contains(#"STEPHOST_ARGS: "[\"main\",\"--plugin\","#)
                && workflow.contains("stephost run --args-json \"$STEPHOST_ARGS\" --only \"build[${KEY}],push[${KEY}]\" --resume last"),
                "each leg builds and pushes its processor: \(workflow)")
        if Command.which("check-jsonschema") != nil {
            TestSupport.write("\(repo)/generated.yml", workflow)
            let check = try await TestSupport.run(["check-jsonschema", "--builtin-schema", "vendor.github-workflows", "\(repo)/generated.yml"], cwd: repo)
            #expect(check.code == 0, "GitHub's published workflow schema: \(check.output)")
        }
        _ = try await TestSupport.commit(repo, [".github/workflows/fanout.yml": workflow, "generated.yml": ""], message: "the generated workflow")

        // One local run of the same commit, for comparison.
        let local = TestSupport.tempDir("local")
        _ = try await TestSupport.run(["git", "clone", "-q", repo, local], cwd: "/tmp")
        let secrets = ["GITHUB_TOKEN": Self.token, "GITHUB_ACTOR": "stephost-bot", "PATH": path]
        let one = try await TestSupport.stephost(["run", "main", "--base", base, "--plugin", Self.fake, "--json"], cwd: local, env: secrets, timeout: 120)
        #expect(one.code == 0, "\(one.output)")
        let expected = try Self.byID(one.summary())

        let store = TestSupport.tempDir("artifacts")
        let event = "\(TestSupport.tempDir("event"))/push.json"
        TestSupport.write(event, #"{"ref": "refs/heads/main", "before": "\#(base)", "after": "\#(head)", "repository": {"full_name": "acme/theory", "default_branch": "main"}}"#)
        let fixtures = "\(TestSupport.repoRoot)/Tests/Fixtures/act"
        let act = try await TestSupport.run(
            ["act", "push", "-e", event, "-W", ".github/workflows/fanout.yml", "-P", "ubuntu-latest=-self-hosted", "--no-cache-server", "--json",
             "--local-repository", "actions/upload-artifact@v4=\(fixtures)/upload-artifact",
             "--local-repository", "actions/download-artifact@v4=\(fixtures)/download-artifact",
             "--local-repository", "\(GitHubStandIn.action)=\(fixtures)/stephost",
             "--env", "STEPHOST_TEST_ARTIFACTS=\(store)", "--env", "STEPHOST_TEST_BIN=\(TestSupport.binDir)",
             "-s", "GITHUB_TOKEN=\(Self.token)"], cwd: repo, timeout: 540)
        let messages = act.stdout.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }.compactMap { $0["msg"]?.stringValue }
        #expect(act.code == 0, "\(messages.suffix(60).joined(separator: "\n"))\n\(act.stderr.suffix(3000))")

        // What each job handed on.
        let artifacts = Set((try? FileManager.default.contentsOfDirectory(atPath: store)) ?? [])
        #expect(artifacts.isSuperset(of: ["stephost-prepare", "stephost-record"]) && artifacts.filter { $0.hasPrefix("stephost-leg-") }.count == 2,
                "\(artifacts.sorted())")
        let runs = "\(store)/stephost-record"
        var final: JSONValue?
        var legs: [String: JSONValue] = [:]
        for id in (try? FileManager.default.contentsOfDirectory(atPath: runs)) ?? [] where id != "merged" {
            guard let data = FileManager.default.contents(atPath: "\(runs)/\(id)/summary.json"), let s = try? JSONParser.parse(Array(data)) else { continue }
            if s["resumedFrom"] == "merged" { final = s }
            if (s["steps"]?.arrayValue ?? []).contains(where: { $0["id"]?.stringValue?.hasPrefix("build[") == true && $0["status"] == "success" && $0["reason"] == nil }) {
                legs[id] = s
            }
        }
        #expect(legs.count == 2, "one record per leg, each building: \(legs.keys.sorted())")
        let finalSummary = try #require(final, "the finish job's record")
        let got = Self.byID(finalSummary)
        #expect(Set(got.keys) == Set(expected.keys), "the same steps: \(got.keys.sorted()) vs \(expected.keys.sorted())")
        for (id, want) in expected {
            #expect(got[id]?["status"] == want["status"], "\(id): \(got[id]?["status"] ?? .null) vs \(want["status"] ?? .null) locally")
            // The fakes echo what they were given: the same resolved inputs in every step (the data flow is the same).
            if want["uses"] != "exec" && want["uses"] != "detect-changes" {
                #expect(got[id]?["outputs"]?["with"] == want["outputs"]?["with"], "\(id): \(got[id]?["outputs"]?["with"] ?? .null) vs \(want["outputs"]?["with"] ?? .null)")
            }
        }
        #expect(got["changes"]?["outputs"]?["processors"] == expected["changes"]?["outputs"]?["processors"])
        // Nothing that succeeded in a leg ran again: the builds and pushes are reused, each from the leg that ran it.
        let finalID = finalSummary["id"]
        for key in ["text_wordcount", "llm_litellm"] {
            for step in ["build", "push"] {
                let r = got["\(step)[\(key)]"]
                #expect(r?["reason"] == "reused from run merged" && r?["ranIn"] != finalID, "\(step)[\(key)]: \(r ?? .null)")
                #expect(legs.keys.contains(r?["ranIn"]?.stringValue ?? ""), "ranIn names a leg: \(r?["ranIn"] ?? .null)")
            }
            #expect(got["pin[\(key)]"]?["ranIn"] == finalID, "pinned by the final job")
        }
        #expect(got["pr"]?["status"] == "success" && got["pr"]?["ranIn"] == finalID)
    }

    static func byID(_ summary: JSONValue) -> [String: JSONValue] {
        Dictionary(uniqueKeysWithValues: (summary["steps"]?.arrayValue ?? []).compactMap { s in s["id"]?.stringValue.map { ($0, s) } })
    }
}

/// The action the generated workflows use, as `stephost ci github` names it by default.
enum GitHubStandIn {
    static let action = "stephost-dev/stephost@v1"
}

@Suite("scale-out: the documented workflow is what stephost ci github prints", .timeLimit(.minutes(2)))
struct FanOutReadmeTests {
    @Test("the legs job in docs/scale-out.md is the generated one for the reference pipeline")
    func readmeMatches() async throws {
        let files = try await TestSupport.repositoryFiles { $0 == "stephost.yaml" || $0.hasPrefix("Registry/") || $0.hasPrefix("examples/theory/") }
        let repo = try await TestSupport.gitRepo(files)
        let r = try await TestSupport.stephost(["ci", "github", "main", "--fan-out", "build"], cwd: repo)
        #expect(r.code == 0, "\(r.stderr)")
        let readme = try String(contentsOfFile: "\(TestSupport.repoRoot)/docs/scale-out.md", encoding: .utf8)
        let start = try #require(readme.range(of: "# stephost ci github main --fan-out build (the legs job)\n"))
        let block = readme[start.upperBound...].prefix { _ in true }
        let end = try #require(block.range(of: "```"))
        #expect(r.stdout.contains(String(block[..<end.lowerBound])), "docs/scale-out.md's legs job differs from:\n\(r.stdout)")
        #expect(r.stdout.contains("stephost runs merge .stephost/runs/* --id merged") && r.stdout.contains("--resume=merged"))
    }

    @Test("a step that changes the checkout (pin-digest) stays in the final job unless --legs says otherwise; --legs refuses what cannot run in a leg")
    func legsLeaveTheCheckoutAlone() async throws {
        let files = try await TestSupport.repositoryFiles { $0.hasPrefix("examples/theory-today/") || $0.hasPrefix("Registry/") }
        let repo = try await TestSupport.gitRepo(files)
        let f = ["-f", "examples/theory-today/stephost.yaml"]
        let plain = try await TestSupport.stephost(["ci", "github", "main", "--fan-out", "build"] + f, cwd: repo)
        #expect(plain.code == 0 && plain.stdout.contains(#"--only "build[${KEY}],push[${KEY}]" --resume last"#), "the pins are made where the PR is: \(plain.output)")
        let given = try await TestSupport.stephost(["ci", "github", "main", "--fan-out", "build", "--legs", "build,push,pin"] + f, cwd: repo)
        #expect(given.stdout.contains(#"--only "build[${KEY}],push[${KEY}],pin[${KEY}]""#), "\(given.output)")
        let refused = try await TestSupport.stephost(["ci", "github", "main", "--fan-out", "build", "--legs", "build,pr"] + f, cwd: repo)
        #expect(refused.code == 2 && refused.stderr.contains("step 'pr' cannot run in a leg"), "\(refused.stderr)")
    }
}

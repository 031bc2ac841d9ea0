import Foundation
import StepProtocol
import Testing
import StepProcess

/// Splitting a run across machines: --only/--until, records handed over by path, runs merge,
/// the GitHub matrix and the Buildkite pipeline (checked with Buildkite's published schema).
@Suite("scale-out: --only, --until, portable records, runs merge, plan formats", .timeLimit(.minutes(5)))
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
        FileManager.default.createFile(atPath: out, contents: nil)
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
            let check = try await TestSupport.run(["check-jsonschema", "--builtin-schema", "vendor.buildkite", file], cwd: repo)
            #expect(check.code == 0, "document \(n): \(check.output)")
            #expect(doc.components(separatedBy: "\n  - label: ").count - 1 <= 500)
        }
        #expect(text.contains("key: \"push_p7_\"\n    depends_on: [\"build_p7_\"]\n"), "a paired instance waits for its namesake")
        #expect(text.contains("key: \"done\"\n    depends_on: [") && text.contains("allow_dependency_failure: true"), "if: always() runs after failures")
        #expect(text.contains("stephost run w -f big.yaml --plugin ") && text.contains(" --only 'build[p7]' $$resume --run-id"),
                "each step runs its own selection, with the options the plan was made with")

        // The list read from a step: a step that plans the rest once everything before it ran.
        let later = try await run(repo, ["plan", "w", "--format", "buildkite"]).stdout
        TestSupport.write("\(repo)/later.yaml", "\(later)")
        let check = try await TestSupport.run(["check-jsonschema", "--builtin-schema", "vendor.buildkite", "\(repo)/later.yaml"], cwd: repo)
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

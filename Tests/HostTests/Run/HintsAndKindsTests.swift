import Foundation
import StepProtocol
import Testing

/// What a failure carries beyond its error: the step's kind for metrics, the manifest's `hints:`
/// matched against error, hint and last log lines (and shown wherever the failure is), and
/// `run.failures` for the steps that come after it.
@Suite("kinds, hints and run.failures", .timeLimit(.minutes(3)))
struct HintsAndKindsTests {
    static let secret = "tok-hints-7788123"

    func repo(_ manifest: String) async throws -> String {
        let dir = try await TestSupport.gitRepo([:])
        TestSupport.write("\(dir)/stephost.yaml", manifest)
        return dir
    }

    @Test("kind: the manifest's, else the plugin's declaration, else the bundled step name's default (also for a fake in its place), else none")
    func kinds() async throws {
        let dir = try await repo("""
            workflows:
              w:
                steps:
                  - {id: build, uses: docker-build, with: {mode: echo}}
                  - {id: push, uses: ghcr-push, with: {mode: echo}}
                  - {id: sync, uses: sync-modal, with: {mode: echo}}
                  - {id: smoke, uses: smoke-test, with: {mode: echo}}
                  - {id: tests, uses: fake, kind: test, with: {mode: echo}}
                  - {id: declared, uses: declared, with: {mode: echo}}
                  - {id: plain, uses: fake, with: {mode: echo}}
                  - {id: each, uses: fake, for-each: [a, b], kind: check, with: {mode: echo}}
            """)
        let f = TestSupport.fake
        let r = try await TestSupport.stephost(["run", "w", "--json",
                                                "--plugin", "docker-build=\(f) --name docker-build --steps docker-build",
                                                "--plugin", "ghcr-push=\(f) --name ghcr-push --steps ghcr-push",
                                                "--plugin", "sync-modal=\(f) --name sync-modal --steps sync-modal --kind rollout",
                                                "--plugin", "smoke-test=\(f) --name smoke-test --steps smoke-test",
                                                "--plugin", "declared=\(f) --name declared --steps declared --kind lint",
                                                "--plugin", "fake=\(f)"], cwd: dir)
        #expect(r.code == 0, "\(r.stderr)")
        let kinds = try r.summary().stepsByID.mapValues { $0["kind"]?.stringValue ?? "?" }
        #expect(kinds == ["build": "build", "push": "publish", "sync": "rollout", "smoke": "test", "tests": "test", "declared": "lint",
                          "plain": "none", "each[a]": "check", "each[b]": "check"], "\(kinds)")
        // The journal and the events carry it too.
        let journal = try String(contentsOfFile: "\(try #require(runDirectory(dir)))/journal.jsonl", encoding: .utf8)
        #expect(journal.contains(#""kind":"publish""#))

        let bad = try await repo("workflows:\n  w:\n    steps:\n      - {id: a, uses: exec, kind: \"Build Step\", with: {run: 'true'}}\n")
        let v = try await TestSupport.stephost(["validate"], cwd: bad)
        #expect(v.code == 2 && v.stderr.contains("stephost.yaml:4:") && v.stderr.contains("kind must be one word"), "\(v.stderr)")
    }

    func runDirectory(_ dir: String) -> String? {
        let runs = "\(dir)/.stephost/runs"
        return ((try? FileManager.default.contentsOfDirectory(atPath: runs)) ?? []).sorted().last.map { "\(runs)/\($0)" }
    }

    /// A failed step whose error, hint and log lines each match one row, a row for another `uses:`, and a step after it.
    var hinted: String {
        """
        environments:
          ci:
            secrets: {TOKEN: env:HINT_TOKEN}
        hints:
          - {match: "connection (reset|refused)", hint: "from the error: check the network"}
          - {match: "(?-i)QUOTA", hint: "from the plugin's hint: raise the quota"}
          - {match: "^npm ERR! code E401", hint: "from a log line: npm token expired"}
          - {match: "connection", uses: exec, hint: "only for exec steps"}
          - {match: "never matches anything", hint: "unused"}
        workflows:
          w:
            steps:
              - id: deploy
                uses: fake
                environment: ci
                secrets: [TOKEN]
                with:
                  mode: logs
                  list:
                    - {level: info, message: "starting"}
                    - {level: error, message: "npm ERR! code E401"}
                  message: "connection reset by peer (token \(Self.secret))"
                  hint: "the QUOTA is spent"
              - id: report
                uses: fake
                if: failure()
                with: {mode: echo, outputs: {seen: "${{ toJSON(run.failures) }}", first: "${{ run.failures[0].step }}"}}
        """
    }

    @Test("hints: the plugin's first, then each matching row once; in summary.json, the terminal, JUnit and GitHub's annotations; run.failures in expressions and params")
    func hints() async throws {
        let dir = try await repo(hinted)
        let env = ["HINT_TOKEN": Self.secret]
        let r = try await TestSupport.stephost(["run", "w", "--json", "--plugin", "fake=\(TestSupport.fake)", "--junit", "junit.xml", "--progress", "plain"],
                                               cwd: dir, env: env)
        #expect(r.code == 1, "\(r.stderr)")
        let steps = try r.summary().stepsByID
        let hints = steps["deploy"]?["hints"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(hints == ["the QUOTA is spent", "from the error: check the network", "from the plugin's hint: raise the quota",
                          "from a log line: npm token expired"], "\(hints)")
        #expect(steps["deploy"]?["hint"] == "the QUOTA is spent")
        for h in hints { #expect(r.stderr.contains("hint: \(h)"), "the terminal shows \(h)") }
        let junit = try String(contentsOfFile: "\(dir)/junit.xml", encoding: .utf8)
        #expect(junit.contains("hint: from a log line: npm token expired"))

        // run.failures: the step after the failure sees it (masked), in expressions and in params.run.failures.
        let seen = try JSONParser.parse(try #require(steps["report"]?["outputs"]?["seen"]?.stringValue))
        let failure = try #require(seen.arrayValue?.first)
        #expect(failure["workflow"] == "w" && failure["step"] == "deploy" && failure["attempts"] == 1 && failure["hint"] == "the QUOTA is spent")
        #expect(failure["error"]?.stringValue == "connection reset by peer (token ***)", "masked: \(failure)")
        #expect(failure["hints"]?.arrayValue?.count == 4)
        #expect(steps["report"]?["outputs"]?["first"] == "deploy")
        #expect(steps["report"]?["outputs"]?["run"]?["failures"] == seen, "params.run.failures is the same list")
        #expect(!r.output.contains(Self.secret))

        // GitHub Actions: the failure's annotation carries the hints.
        let gh = try await TestSupport.stephost(["run", "w", "--plugin", "fake=\(TestSupport.fake)", "--ci", "github"], cwd: dir, env: env)
        let annotation = gh.stdout.split(separator: "\n").first { $0.hasPrefix("::error title=deploy failed::") } ?? ""
        #expect(annotation.contains("%0Ahint: from a log line: npm token expired"), "\(gh.stdout)")
    }

    @Test("hints: a row that is not a regular expression, or lacks match or hint, is a validation error at its line")
    func badRows() async throws {
        let dir = try await repo("""
            hints:
              - {match: "unclosed (group", hint: "x"}
              - {hint: "no match"}
              - {match: "ok", hint: "ok", color: red}
            workflows:
              w:
                steps: [{id: a, uses: exec, with: {run: "true"}}]
            """)
        let v = try await TestSupport.stephost(["validate"], cwd: dir)
        #expect(v.code == 2, "\(v.stderr)")
        #expect(v.stderr.contains("stephost.yaml:2:") && v.stderr.contains("hints[0].match is not a regular expression"), "\(v.stderr)")
        #expect(v.stderr.contains("stephost.yaml:3:") && v.stderr.contains("hints[1] has no 'match:'"), "\(v.stderr)")
        #expect(v.stderr.contains("stephost.yaml:4:") && v.stderr.contains("unknown key 'color' in hints[2]"), "\(v.stderr)")
    }

    @Test("an optional secret (env:VAR?) that is not set reaches the step as the empty string; set, it is granted and masked")
    func optionalSecret() async throws {
        let dir = try await repo("""
            environments:
              ci:
                secrets: {HOOK: env:OPTIONAL_HOOK?, REQUIRED: env:REQUIRED_ONE}
            workflows:
              w:
                steps:
                  - {id: a, uses: exec, environment: ci, secrets: [HOOK], with: {run: 'echo "hook=[$HOOK]"'}}
            """)
        let unset = try await TestSupport.stephost(["run", "w"], cwd: dir)
        #expect(unset.code == 0 && unset.stdout.contains("hook=[]"), "\(unset.output)")
        let set = try await TestSupport.stephost(["run", "w"], cwd: dir, env: ["OPTIONAL_HOOK": "https://hooks.example/T0/secret-path"])
        #expect(set.code == 0 && set.stdout.contains("hook=[***]"), "\(set.output)")
        #expect(!set.output.contains("secret-path"))
    }
}

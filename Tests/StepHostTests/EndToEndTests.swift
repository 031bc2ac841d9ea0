import Foundation
import StepProtocol
import Testing

/// The built `stephost` on real manifests in temporary git repositories.
@Suite("stephost run, end to end", .timeLimit(.minutes(2)))
struct EndToEndTests {
    var fake: String { "fake=\(TestSupport.fake)" }

    func summary(_ r: TestSupport.Result) throws -> JSONValue { try r.summary() }
    func steps(_ s: JSONValue) -> [String: JSONValue] { s.stepsByID }
    func status(_ s: JSONValue, _ id: String) -> String { steps(s)[id]?["status"]?.stringValue ?? "missing" }
    func reason(_ s: JSONValue, _ id: String) -> String? { steps(s)[id]?["reason"]?.stringValue }

    @Test("steps run in list order by default and after their needs; outputs flow to later steps")
    func orderAndOutputs() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        workflows:
          w:
            steps:
              - {id: a, uses: exec, with: {run: 'echo "v=from-a" >> "$STEPHOST_OUTPUT"; echo a >> order.txt'}}
              - {id: b, uses: exec, with: {run: 'echo b >> order.txt'}}
              - {id: c, uses: exec, needs: [a], with: {run: 'echo "c:${{ steps.a.outputs.v }}" >> order.txt'}}
        """])
        let r = try await TestSupport.stephost(["run", "w", "-j", "1", "--json"], cwd: dir)
        #expect(r.code == 0, "\(r.stderr)")
        let order = try String(contentsOfFile: "\(dir)/order.txt", encoding: .utf8).split(separator: "\n")
        #expect(order.first == "a" && order.contains("c:from-a") && order.count == 3)
        let s = try summary(r)
        #expect(steps(s)["a"]?["outputs"]?["v"] == "from-a")
        #expect(s["exitCode"] == 0)
    }

    @Test("independent steps run at the same time up to -j (proved by a barrier, not by timing)")
    func parallelism() async throws {
        let barrier = TestSupport.tempDir("barrier")
        let manifest = """
        workflows:
          w:
            steps:
              - {id: a, uses: fake, needs: [], with: {mode: barrier, dir: "\(barrier)", count: 2, ms: 3000}}
              - {id: b, uses: fake, needs: [], with: {mode: barrier, dir: "\(barrier)", count: 2, ms: 3000}}
        """
        let dir = try await TestSupport.gitRepo(["stephost.yaml": manifest])
        let two = try await TestSupport.stephost(["run", "w", "-j", "2", "--plugin", fake], cwd: dir)
        #expect(two.code == 0, "\(two.output)")
        try FileManager.default.removeItem(atPath: barrier)
        try FileManager.default.createDirectory(atPath: barrier, withIntermediateDirectories: true)
        let one = try await TestSupport.stephost(["run", "w", "-j", "1", "--plugin", fake], cwd: dir)
        #expect(one.code == 1)
        #expect(one.output.contains("fewer than 2 steps ran at once"))
    }

    @Test("retry: an exec step's non-zero exit is retried; a step with retry: that is not retried says why")
    func execRetry() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        workflows:
          w:
            steps:
              - {id: flaky, uses: exec, needs: [], retry: {attempts: 3, backoff: 10ms}, with: {run: 'echo x >> tries; test $(wc -l < tries) -ge 2'}}
              - {id: unmarked, uses: fake, needs: [], retry: {attempts: 3, backoff: 10ms}, with: {mode: fail}}
              - {id: bad-input, uses: fake, needs: [], retry: {attempts: 3, backoff: 10ms, when: always}, with: {mode: echo, attempts: "${{ 'many' }}"}}
        """])
        let r = try await TestSupport.stephost(["run", "w", "--plugin", fake, "--json"], cwd: dir)
        let st = steps(try summary(r))
        #expect(st["flaky"]?["status"] == "success" && st["flaky"]?["attempts"] == 2, "\(r.stderr)")
        #expect(r.stderr.contains("[unmarked] warning: not retried (attempt 1 of 3): the plugin did not mark the failure retryable"), "\(r.stderr)")
        // Invalid input is never retried, not even under when: always.
        #expect(st["bad-input"]?["attempts"] == 1)
        #expect(r.stderr.contains("[bad-input] warning: not retried (attempt 1 of 3): invalid input is never retried"), "\(r.stderr)")
    }

    @Test("exec: the CI context, pass-env and STEPHOST_* reach the command; tokens and secret sources never do")
    func execEnvironment() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        pass-env: [DEPLOY_REGION, "TEAM_*", LEAKED_SOURCE]
        environments:
          dev:
            secrets: {TOKEN: env:LEAKED_SOURCE}
        workflows:
          w:
            steps:
              - id: show
                uses: exec
                for-each: [one]
                with: {run: 'env | grep -E "^(CI|GITHUB_|RUNNER_|BUILDKITE_|DEPLOY_|TEAM_|OTHER_|LEAKED_|STEPHOST_(RUN_ID|STEP|WORKSPACE)=)" | sort > "$STEPHOST_WORKSPACE/env.txt"'}
        """])
        let env = ["CI": "true", "GITHUB_REF_NAME": "main", "GITHUB_TOKEN": "ghs_secret", "RUNNER_OS": "Linux",
                   "BUILDKITE_AGENT_ACCESS_TOKEN": "bk-secret", "BUILDKITE_BRANCH": "main", "DEPLOY_REGION": "eu",
                   "TEAM_NAME": "core", "OTHER_VAR": "no", "LEAKED_SOURCE": "a-secret-value"]
        let r = try await TestSupport.stephost(["run", "w", "--json"], cwd: dir, env: env)
        #expect(r.code == 0, "\(r.stderr)")
        let id = try #require(try summary(r)["id"]?.stringValue)
        let seen = try String(contentsOfFile: "\(dir)/env.txt", encoding: .utf8).split(separator: "\n").map(String.init)
        let workspace = try #require(seen.first { $0.hasPrefix("STEPHOST_WORKSPACE=") })
        #expect(seen.filter { !$0.hasPrefix("STEPHOST_WORKSPACE=") } == [
            "BUILDKITE_BRANCH=main", "CI=true", "DEPLOY_REGION=eu", "GITHUB_REF_NAME=main", "RUNNER_OS=Linux",
            "STEPHOST_RUN_ID=\(id)", "STEPHOST_STEP=show[one]", "TEAM_NAME=core",
        ])
        #expect(FileManager.default.fileExists(atPath: String(workspace.dropFirst("STEPHOST_WORKSPACE=".count)) + "/env.txt"))
    }

    @Test("a dry run sends dryRun, skips plugins without it, and changes nothing")
    func dryRun() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        workflows:
          w:
            steps:
              - {id: touch, uses: exec, with: {run: "touch created.txt"}}
              - {id: echo, uses: fake}
              - {id: nodry, uses: nodry}
        """])
        let r = try await TestSupport.stephost(["run", "w", "--dry-run", "--plugin", fake,
                                                "--plugin", "nodry=\(TestSupport.fake) --no-dry-run --steps nodry", "--json"], cwd: dir)
        #expect(r.code == 0, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/created.txt"))
        let s = try summary(r)
        #expect(steps(s)["touch"]?["summary"]?.stringValue?.contains("would run `touch created.txt`") == true)
        #expect(steps(s)["echo"]?["outputs"]?["dryRun"] == true)
        #expect(reason(s, "nodry") == "no dry run")
        let status = try await TestSupport.run(["git", "status", "--porcelain", "--ignored"], cwd: dir)
        #expect(!status.stdout.contains("created.txt"))
    }

    @Test("a dry run prints each step's resolved inputs; a read-only exec step runs in it, so later steps see its outputs")
    func dryRunInputs() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        env: {GREETING: hello}
        workflows:
          w:
            steps:
              - {id: list, uses: exec, with: {run: "echo 'items=[\\"a\\",\\"b\\"]' >> $STEPHOST_OUTPUT", read-only: true}}
              - {id: each, uses: exec, for-each: "${{ fromJSON(steps.list.outputs.items) }}",
                 with: {run: "touch ${{ item }}.txt", env: {SAY: "${{ env.GREETING }} ${{ item }}"}}}
        """])
        let r = try await TestSupport.stephost(["run", "w", "--dry-run"], cwd: dir)
        #expect(r.code == 0, "\(r.output)")
        #expect(r.output.contains(#"[each[a]] with {"env":{"SAY":"hello a"},"run":"touch a.txt"}"#), "\(r.output)")
        #expect(r.output.contains(#"[each[b]] with {"env":{"SAY":"hello b"},"run":"touch b.txt"}"#))
        #expect(r.output.contains("[list] would run") && r.output.contains("ran (read-only) in the dry run"), "a dry run never says success")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/a.txt"), "the other steps only say what they would do")
    }

    @Test("validation errors name file, line and column, and exit 2 before any step runs")
    func validation() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        workflows:
          w:
            steps:
              - {id: first, uses: exec, with: {run: "touch ran.txt"}}
              - {id: typo, uses: exce}
              - {id: bad-input, uses: exec, with: {run: "x", shell: bash}}
              - {id: cyc1, uses: exec, needs: [cyc2]}
              - {id: cyc2, uses: exec, needs: [cyc1]}
        """])
        let r = try await TestSupport.stephost(["run", "w"], cwd: dir)
        #expect(r.code == 2)
        #expect(r.stderr.contains("stephost.yaml:5:26: step 'typo' uses 'exce', which no plugin provides; did you mean 'exec'? (available: bot-pr, detect-changes, docker-build, exec,"), "\(r.stderr)")
        #expect(r.stderr.contains("stephost.yaml:6:54: step 'bad-input' (exec): with.shell: unknown input 'shell'"))
        #expect(r.stderr.contains("form a cycle"))
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/ran.txt"))
        let v = try await TestSupport.stephost(["validate"], cwd: dir)
        #expect(v.code == 2 && v.stderr.contains("which no plugin provides"))
    }

    @Test("validate accepts a good manifest with every workflow")
    func validateOK() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": "workflows:\n  a:\n    steps: [{id: x, uses: exec, with: {run: 'true'}}]\n  b:\n    on: {push: {}}\n    steps: [{id: y, uses: exec, with: {argv: [\"true\"]}}]\n"])
        let v = try await TestSupport.stephost(["validate"], cwd: dir)
        #expect(v.code == 0 && v.stdout.contains("ok (2 workflows, 2 steps)"), "\(v.output)")
    }

    @Test("triggers: branches, paths against git diff, labels; others are skipped (not triggered)")
    func triggers() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        workflows:
          processors:
            on: {push: {branches: [main], paths: ["code/processors/**"]}}
            steps: [{id: p, uses: exec, with: {run: "true"}}]
          docs:
            on: {push: {paths: ["docs/**"]}}
            steps: [{id: d, uses: exec, with: {run: "true"}}]
          labelled:
            on: {pull_request: {labels: [run-acceptance]}}
            steps: [{id: l, uses: exec, with: {run: "true"}}]
        """, "code/processors/a/main.py": "1\n", "docs/index.md": "# x\n"])
        let base = try await TestSupport.run(["git", "rev-parse", "HEAD"], cwd: dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let head = try await TestSupport.commit(dir, ["code/processors/a/main.py": "2\n"])
        let r = try await TestSupport.stephost(["run", "--event", "push", "--branch", "main", "--base", base, "--head", head, "--json"], cwd: dir)
        #expect(r.code == 0, "\(r.stderr)")
        let s = try summary(r)
        #expect(s["workflows"] == ["processors"])
        #expect(r.stderr.contains("workflow docs: skipped (not triggered) — no changed path matches [\"docs/**\"]"), "\(r.stderr)")
        #expect(s["skippedWorkflows"]?.arrayValue?.contains { $0["name"] == "docs" && $0["reason"] == "not triggered" } == true)
        #expect(s["workflow"] == "processors")
        let pr = try await TestSupport.stephost(["run", "--event", "pull_request", "--label", "run-acceptance", "--base", base, "--head", head, "--json"], cwd: dir)
        #expect(try summary(pr)["workflows"] == ["labelled"])
        let unknown = try await TestSupport.stephost(["run", "--event", "push", "--base", "0123456789abcdef0123456789abcdef01234567"], cwd: dir)
        #expect(unknown.code == 2 && unknown.stderr.contains("git does not know this revision"))
        let none = try await TestSupport.stephost(["run", "--event", "push", "--branch", "dev", "--base", base, "--head", head], cwd: dir)
        #expect(none.code == 0 && none.stdout.contains("no workflow triggered"))
    }

    @Test("secrets reach only the steps that are granted them, and are masked everywhere")
    func secrets() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        environments:
          dev:
            secrets: {TOKEN: env:MY_TOKEN, FILETOKEN: file:token.txt}
        workflows:
          w:
            steps:
              - {id: granted, uses: exec, secrets: [TOKEN], with: {run: 'echo "token is $TOKEN"; echo "out=$TOKEN" >> "$STEPHOST_OUTPUT"'}}
              - {id: renamed, uses: fake, secrets: {PLUGIN_SEES: FILETOKEN}}
              - {id: not-granted, uses: exec, with: {run: 'echo "token is [$TOKEN] [$MY_TOKEN]"'}}
        """, "token.txt": "file-secret-value\n"])
        let secret = "sup3r-s3cret-value"
        let r = try await TestSupport.stephost(["run", "w", "--env", "dev", "--plugin", fake, "--json"], cwd: dir, env: ["MY_TOKEN": secret])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(!r.output.contains(secret))
        #expect(r.stderr.contains("token is ***"))
        #expect(r.stderr.contains("token is [] []"), "not granted: neither the secret nor the host variable")
        let s = try summary(r)
        #expect(steps(s)["renamed"]?["outputs"]?["secretNames"] == ["PLUGIN_SEES"])
        let runs = "\(dir)/.stephost/runs"
        for run in try FileManager.default.contentsOfDirectory(atPath: runs) {
            for f in ["journal.jsonl", "summary.json"] {
                let text = try String(contentsOfFile: "\(runs)/\(run)/\(f)", encoding: .utf8)
                #expect(!text.contains(secret) && !text.contains("file-secret-value"), "\(f) holds a secret")
            }
        }
        let missing = try await TestSupport.stephost(["run", "w", "--env", "dev", "--plugin", fake], cwd: dir, env: ["MY_TOKEN": ""])
        #expect(missing.code == 2)
        #expect(missing.stderr.contains("secret 'TOKEN' of environment 'dev' is missing: env:MY_TOKEN is empty"))
    }

    @Test("a secret split across pipe reads, cut by a long line, or base64-encoded never reaches output or the record")
    func secretsInStreams() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        environments:
          dev:
            secrets: {TOKEN: env:MY_TOKEN}
        workflows:
          w:
            steps:
              - {id: leak, uses: fake, secrets: [TOKEN], with: {mode: leak-secrets}}
              - id: exec-leak
                uses: exec
                secrets: [TOKEN]
                with:
                  run: |
                    printf 'split: %s' "$(printf '%s' "$TOKEN" | head -c 9)"; sleep 0.2; printf '%s\\n' "$(printf '%s' "$TOKEN" | tail -c +10)"
                    printf 'basic: %s\\n' "$(printf 'user:%s' "$TOKEN" | base64 -w0)"
                    printf 'url: %s\\n' "$(python3 -c 'import os,urllib.parse;print(urllib.parse.quote(os.environ["TOKEN"],safe=""))')"
        """])
        let secret = "pa55/w0rd+s3cr3t&value"
        let r = try await TestSupport.stephost(["run", "w", "--env", "dev", "--plugin", fake, "-v"], cwd: dir, env: ["MY_TOKEN": secret])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.output.contains("split: ***"), "\(r.output)")
        #expect(r.output.contains("basic: ***") || r.output.contains("basic: dXNl"), "\(r.output)")
        var texts = [r.output]
        let runs = "\(dir)/.stephost/runs"
        for run in try FileManager.default.contentsOfDirectory(atPath: runs) {
            let files = try #require(FileManager.default.enumerator(atPath: "\(runs)/\(run)")).compactMap { $0 as? String }
            for f in files { texts.append((try? String(contentsOfFile: "\(runs)/\(run)/\(f)", encoding: .utf8)) ?? "") }
        }
        let forms = [secret, String(secret.prefix(8)), String(secret.suffix(9)), "cGE1NS93MHJk", "pa55%2Fw0rd"]
        for t in texts {
            for f in forms { #expect(!t.contains(f), "found \(f)") }
        }
    }

    @Test("a value a plugin sends in mask is masked from then on; one of 3 characters or fewer gets a warning")
    func pluginMask() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        workflows:
          w:
            steps:
              - {id: derive, uses: fake, with: {mode: mask, value: derived-token-8f3a}}
              - {id: later, uses: exec, with: {run: 'echo "later sees derived-token-8f3a"'}}
              - {id: short, uses: fake, with: {mode: mask, value: abc}}
        """])
        let r = try await TestSupport.stephost(["run", "w", "--plugin", fake, "--json"], cwd: dir)
        #expect(r.code == 0, "\(r.stderr)")
        #expect(!r.output.contains("derived-token-8f3a"))
        #expect(r.stderr.contains("derived token is ***") && r.stderr.contains("later sees ***"), "\(r.stderr)")
        #expect(try summary(r).stepsByID["derive"]?["outputs"]?["token"] == "***")
        #expect(r.stderr.contains("step 'short' asked to mask a value of 3 characters or fewer; it is not masked"))
    }

    @Test("plugin environment is minimal: host variables reach a plugin only when its descriptor names them")
    func minimalEnvironment() async throws {
        let dir = try await TestSupport.gitRepo([
            "stephost.yaml": "workflows:\n  w:\n    steps:\n      - {id: e, uses: exec, with: {run: 'echo \"[$HOST_ONLY] [$STEPHOST_PROTOCOL]\"'}}\n      - {id: p, uses: printenv}\n",
            "plugins.d/printenv.yaml": "name: printenv\ncommand: [\"\(TestSupport.fake)\", --steps, printenv]\nsteps: [printenv]\nenv: [ALLOWED_VAR]\n",
        ])
        let r = try await TestSupport.stephost(["run", "w", "--json"], cwd: dir, env: ["HOST_ONLY": "leak", "ALLOWED_VAR": "ok"])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stderr.contains("[] []"), "exec's command sees neither host-only variables nor the protocol marker")
    }

    @Test("--plugin replaces a bundled plugin entirely")
    func overrideBundled() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": "workflows:\n  w:\n    steps:\n      - {id: e, uses: exec, with: {outputs: {faked: true}}}\n"])
        let r = try await TestSupport.stephost(["run", "w", "--plugin", "exec=\(TestSupport.fake) --steps exec", "--json"], cwd: dir)
        #expect(r.code == 0, "\(r.stderr)")
        #expect(steps(try summary(r))["e"]?["outputs"]?["faked"] == true)
    }

    @Test("a plugin process serves many steps; --fresh-process starts one per step")
    func processReuse() async throws {
        let record = "\(TestSupport.tempDir("rec"))/calls.txt"
        let dir = try await TestSupport.gitRepo(["stephost.yaml": "workflows:\n  w:\n    steps:\n" +
            (1...5).map { "      - {id: s\($0), uses: fake}\n" }.joined()])
        let plugin = "fake=\(TestSupport.fake) --record \(record)"
        _ = try await TestSupport.stephost(["run", "w", "--plugin", plugin], cwd: dir)
        let starts = try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("start") }
        #expect(starts.count == 1)
        try FileManager.default.removeItem(atPath: record)
        _ = try await TestSupport.stephost(["run", "w", "--fresh-process", "--plugin", plugin], cwd: dir)
        let fresh = try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("start") }
        #expect(fresh.count == 5, "one process per step (the first is the one started to check inputs)")
    }

    @Test("the Python example plugin runs in the quickstart pipeline")
    func quickstart() async throws {
        let dir = try await TestSupport.gitRepo([:])
        _ = try await TestSupport.run(["cp", "-R", "\(TestSupport.repoRoot)/examples", "\(dir)/examples"], cwd: dir)
        let r = try await TestSupport.stephost(["run", "-f", "examples/quickstart/stephost.yaml", "--json"], cwd: dir)
        #expect(r.code == 0, "\(r.stderr)")
        let st = steps(try summary(r))
        #expect(st["stats[reverse]"]?["outputs"]?["lines"] == 4)
        #expect(st["stats[echo]"]?["outputs"]?["sha256"]?["examples/quickstart/processors/echo/main.py"]?.stringValue?.count == 64)
        #expect(r.stderr.contains("artifacts: {\"echo\":"))
    }

    @Test("the run record holds a journal and a summary")
    func runRecord() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": "workflows:\n  w:\n    steps:\n      - {id: a, uses: exec, with: {run: 'true'}}\n"])
        let r = try await TestSupport.stephost(["run", "w", "--json"], cwd: dir)
        let id = try #require(try summary(r)["id"]?.stringValue)
        #expect(id.range(of: #"^\d{8}T\d{6}Z-[0-9a-f]{4}$"#, options: .regularExpression) != nil)
        let journal = try String(contentsOfFile: "\(dir)/.stephost/runs/\(id)/journal.jsonl", encoding: .utf8)
        let events = try journal.split(separator: "\n").map { try JSONParser.parse(String($0))["type"]?.stringValue ?? "(no type)" }
        #expect(events == ["run-started", "step-started", "attempt", "step-finished", "run-finished"])
        let saved = try JSONParser.parse(String(contentsOfFile: "\(dir)/.stephost/runs/\(id)/summary.json", encoding: .utf8))
        #expect(saved["steps"]?.arrayValue?.first?["status"] == "success")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/.stephost/tmp/\(id)"), "tempDirs are removed after the run")
    }

    @Test("exec: a timeout stops the command and everything it started, through $/cancel")
    func execTimeout() async throws {
        let marker = "stephost-test-\(UInt32.random(in: 0...UInt32.max))"
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        workflows:
          w:
            steps:
              - {id: slow, uses: exec, timeout: 500ms, with: {run: "sh -c 'sleep 60; echo \(marker)' & sleep 60"}}
        """])
        let r = try await TestSupport.stephost(["run", "w", "--json"], cwd: dir, timeout: 30)
        #expect(r.code == 1)
        let slow = try summary(r)["steps"]?.arrayValue?.first
        #expect(slow?["reason"] == "timed out")
        #expect(slow?["error"]?.stringValue?.contains("stopped when asked to") == true, "\(String(describing: slow))")
        let left = try await TestSupport.run(["pgrep", "-f", marker], cwd: dir)
        #expect(left.stdout.isEmpty, "processes left behind: \(left.stdout)")
    }

    @Test("a step's end is in the journal before any step that needs it starts")
    func journalBeforeDependants() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        workflows:
          w:
            steps:
              - {id: a, uses: exec, with: {run: 'echo "v=1" >> "$STEPHOST_OUTPUT"'}}
              - id: b
                uses: exec
                with:
                  run: grep '"type":"step-finished"' .stephost/runs/${{ run.id }}/journal.jsonl | grep -q '"id":"a"'
        """])
        let r = try await TestSupport.stephost(["run", "w"], cwd: dir)
        #expect(r.code == 0, "\(r.output)")
    }

    @Test("step timeout: $/cancel, then the step is reported timed out")
    func timeout() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": "workflows:\n  w:\n    steps:\n      - {id: slow, uses: fake, timeout: 300ms, with: {mode: hang}}\n      - {id: next, uses: fake, needs: []}\n"])
        let r = try await TestSupport.stephost(["run", "w", "--plugin", fake, "--json"], cwd: dir)
        #expect(r.code == 1)
        let s = try summary(r)
        #expect(reason(s, "slow") == "timed out")
        #expect(steps(s)["slow"]?["error"]?.stringValue?.contains("stopped when asked to") == true)
        #expect(status(s, "next") == "success")
    }
}

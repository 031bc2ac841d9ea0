import Foundation
import StepPlugins
import StepProtocol
import Testing

/// The trust rules (docs/security.md), each tested by the attack that would break it: a crafted
/// recording, a redirecting server on 127.0.0.2, a forged record, a fork's pull request, a hostile
/// directory name…
@Suite("security: each rule against its attack", .timeLimit(.minutes(4)))
struct SecurityTests {
    /// A Python plugin serving step `leak` (any inputs); `body` runs for each `step/run` with `m` the request
    /// and `send(message)` at hand.
    static func plugin(_ body: String) -> String {
        #"""
        #!/usr/bin/env python3
        import json, sys
        def send(m):
            sys.stdout.write(json.dumps(m) + "\n"); sys.stdout.flush()
        for line in sys.stdin:
            m = json.loads(line)
            if m.get("method") == "initialize":
                send({"jsonrpc": "2.0", "id": m["id"], "result": {"protocolVersion": 1, "plugin": {"name": "leaky", "version": "1"},
                      "steps": [{"name": "leak", "inputs": {"type": "object"}}], "capabilities": {"dryRun": True}}})
            elif m.get("method") == "step/run":
        """# + "\n" + body.split(separator: "\n", omittingEmptySubsequences: false).map { "        " + $0 }.joined(separator: "\n") + #"""

            elif m.get("method") == "shutdown":
                send({"jsonrpc": "2.0", "id": m["id"], "result": None})
        """#
    }

    static func repo(_ manifest: String, plugin body: String? = nil) async throws -> String {
        var files = ["stephost.yaml": manifest]
        if let body {
            files["leaky.py"] = plugin(body)
            files["plugins.d/leaky.yaml"] = "name: leaky\ncommand: [python3, leaky.py]\nsteps: [leak]\n"
        }
        return try await TestSupport.gitRepo(files)
    }

    /// Every path under `dir`, recursively, relative to it.
    static func paths(under dir: String) -> [String] {
        guard let walk = FileManager.default.enumerator(atPath: dir) else { return [] }
        var out: [String] = []
        while let rel = walk.nextObject() as? String { out.append(rel) }
        return out
    }

    // 1. A recording's file name is never a command.
    @Test("--replay: a recording named 'exec=sh -c \"touch X\" ' is refused and runs nothing")
    func replayFileName() async throws {
        let dir = try await Self.repo("""
            workflows:
              w:
                steps:
                  - {id: a, uses: exec, with: {run: 'echo hi'}}
            """)
        let rec = "\(dir)/rec"
        TestSupport.write("\(rec)/exec=sh -c \"touch pwned\" .descriptor.json", "{}")
        TestSupport.write("\(rec)/exec=sh -c \"touch pwned\" .jsonl", "")
        let r = try await TestSupport.stephost(["run", "w", "--replay", "rec"], cwd: dir)
        #expect(r.code == 2 && r.stderr.contains("is not a recording"), "\(r.output)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/pwned"), "the file name ran as a command")
    }

    // 2. --record never writes a mask value or a granted secret; a secret too short to mask is refused.
    @Test("--record: values a plugin asks to mask and params.secrets never reach the recording; a 3-character secret is refused")
    func recordMasks() async throws {
        let manifest = """
            environments:
              ci:
                secrets: {TOKEN: env:LEAK_TOKEN}
            workflows:
              w:
                steps:
                  - {id: a, uses: leak, environment: ci, secrets: [TOKEN]}
            """
        let dir = try await Self.repo(manifest, plugin: #"""
            send({"jsonrpc": "2.0", "method": "mask", "params": {"id": m["id"], "value": "derived-registry-token-77"}})
            send({"jsonrpc": "2.0", "method": "log", "params": {"id": m["id"], "level": "info", "message": "auth with derived-registry-token-77"}})
            send({"jsonrpc": "2.0", "id": m["id"], "result": {"outputs": {"auth": "Bearer derived-registry-token-77"}}})
            """#)
        let r = try await TestSupport.stephost(["run", "w", "--record", "rec"], cwd: dir, env: ["LEAK_TOKEN": "granted-secret-1234"])
        #expect(r.code == 0, "\(r.output)")
        let text = try String(contentsOfFile: "\(dir)/rec/leaky.jsonl", encoding: .utf8)
        #expect(!text.contains("derived-registry-token-77") && !text.contains("derived-r"), "a mask value in the recording:\n\(text)")
        #expect(!text.contains("granted-secret-1234") && text.contains(#""secrets":{"TOKEN":"***"}"#), "\(text)")

        let short = try await TestSupport.stephost(["run", "w"], cwd: dir, env: ["LEAK_TOKEN": "abc"])
        #expect(short.code == 2 && short.stderr.contains("secret 'TOKEN' of environment 'ci'") && short.stderr.contains("3 characters or fewer"),
                "\(short.output)")
    }

    // 3. No credential follows a redirect to another host.
    @Test("an OTLP export redirected from 127.0.0.1 to 127.0.0.2 arrives without its Authorization or other headers")
    func redirectDropsCredentials() async throws {
        let target = try await LocalService.fake("webhook", env: ["FAKE_BIND": "127.0.0.2"])
        defer { target.stop() }
        let redirector = try await LocalService.fake("redirect", arguments: ["http://127.0.0.2:\(target.port)"])
        defer { redirector.stop() }
        let dir = try await Self.repo("""
            workflows:
              w:
                steps:
                  - {id: a, uses: exec, with: {run: 'echo hi'}}
            """)
        let r = try await TestSupport.stephost(["run", "w"], cwd: dir, env: [
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://\(redirector.address)",
            "OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Bearer otlp-secret-token-9,x-honeycomb-team=team-key-31337",
        ])
        #expect(r.code == 0, "\(r.output)")
        #expect(redirector.requests().first?["authorization"]?.stringValue == "Bearer otlp-secret-token-9", "the first hop is the configured one")
        let arrived = target.requests()
        #expect(arrived.count == 1 && arrived.first?["path"] == "/v1/traces", "the redirect was followed: \(arrived)")
        for request in arrived {
            let text = request.encoded()
            #expect(!text.contains("otlp-secret-token-9") && !text.contains("team-key-31337"), "a credential crossed to another host: \(text)")
        }
        #expect(!r.output.contains("otlp-secret-token-9") && !r.output.contains("team-key-31337"))
    }

    // 4. A record made at another commit is not resumed; a record changed by hand is refused when records are signed.
    @Test("--resume of a record made at an earlier commit is refused naming both commits; a forged signed record is refused naming the file")
    func resumeBoundToCommit() async throws {
        let manifest = """
            workflows:
              w:
                steps:
                  - {id: test, uses: exec, with: {run: 'test -f passes'}}
                  - {id: deploy, uses: exec, with: {run: 'false'}}
            """
        let dir = try await TestSupport.gitRepo(["stephost.yaml": manifest, "passes": "yes\n"])
        let first = try await TestSupport.stephost(["run", "w", "--json"], cwd: dir, env: ["STEPHOST_RECORD_SECRET": "record-key-5555"])
        #expect(first.code == 1, "test passes, deploy fails: \(first.output)")
        let old = try await TestSupport.git(dir, ["rev-parse", "HEAD"])
        _ = try await TestSupport.run(["git", "rm", "-q", "passes"], cwd: dir)
        _ = try await TestSupport.commit(dir, [:], message: "the test no longer passes")
        let new = try await TestSupport.git(dir, ["rev-parse", "HEAD"])
        let resumed = try await TestSupport.stephost(["run", "w", "--resume", "last"], cwd: dir, env: ["STEPHOST_RECORD_SECRET": "record-key-5555"])
        #expect(resumed.code == 2 && resumed.stderr.contains(old) && resumed.stderr.contains(new), "\(resumed.output)")
        // Said explicitly, it resumes (and still needs an intact record).
        let anyway = try await TestSupport.stephost(["run", "w", "--resume", "last", "--resume-other-commit", "--json"], cwd: dir,
                                                    env: ["STEPHOST_RECORD_SECRET": "record-key-5555"])
        let firstStatus = try anyway.summary()["steps"]?.arrayValue?.first?["status"]
        #expect(anyway.code == 1 && firstStatus == "success", "\(anyway.output)")

        // Forge the first run's record: the deploy "succeeded".
        let runs = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/.stephost/runs").sorted()
        let firstRun = "\(dir)/.stephost/runs/\(runs[0])"
        #expect(FileManager.default.fileExists(atPath: "\(firstRun)/record.hmac"), "a signed run writes record.hmac")
        let journal = try String(contentsOfFile: "\(firstRun)/journal.jsonl", encoding: .utf8)
        TestSupport.write("\(firstRun)/journal.jsonl", journal.replacingOccurrences(of: #""status":"failure""#, with: #""status":"success""#))
        let forged = try await TestSupport.stephost(["run", "w", "--resume", runs[0], "--resume-other-commit"], cwd: dir,
                                                    env: ["STEPHOST_RECORD_SECRET": "record-key-5555"])
        #expect(forged.code == 2 && forged.stderr.contains("journal.jsonl differs"), "\(forged.output)")
        let shown = try await TestSupport.stephost(["runs", "show", runs[0]], cwd: dir, env: ["STEPHOST_RECORD_SECRET": "record-key-5555"])
        #expect(shown.code == 2 && shown.stderr.contains("journal.jsonl differs"), "\(shown.output)")
        let merged = try await TestSupport.stephost(["runs", "merge", runs[0]], cwd: dir, env: ["STEPHOST_RECORD_SECRET": "record-key-5555"])
        #expect(merged.code == 2 && merged.stderr.contains("journal.jsonl differs"), "\(merged.output)")
        try FileManager.default.removeItem(atPath: "\(firstRun)/record.hmac")
        let unsigned = try await TestSupport.stephost(["runs", "show", runs[0]], cwd: dir, env: ["STEPHOST_RECORD_SECRET": "record-key-5555"])
        #expect(unsigned.code == 2 && unsigned.stderr.contains("record.hmac is missing"), "\(unsigned.output)")
    }

    // 5 and 11. Generated CI files carry values in their environment, never in a script's text.
    @Test("plan --format buildkite: keys with $, quotes and $(…) appear only escaped ($$) and only outside commands")
    func buildkiteEscapes() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": #"""
            workflows:
              w:
                steps:
                  - id: build
                    uses: exec
                    for-each: ["it's $(touch pwned)", "${HOME}x", "a#b: c"]
                    env: {KEY: "${{ item }}"}
                    with: {run: 'echo "$KEY"'}
            """#])
        let r = try await TestSupport.stephost(["plan", "w", "--format", "buildkite"], cwd: dir)
        #expect(r.code == 0, "\(r.output)")
        let text = r.stdout
        // Every `$` Buildkite would interpolate is written `$$`.
        let lone = text.replacingOccurrences(of: "$$", with: "").contains("$")
        #expect(!lone, "a $ Buildkite interpolates:\n\(text)")
        // The keys reach the script through STEPHOST_ONLY; no command line holds one.
        var inCommand = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("    command: |") { inCommand = true; continue }
            if inCommand && !line.hasPrefix("      ") { inCommand = false }
            if inCommand { #expect(!line.contains("touch") && !line.contains("HOME") && !line.contains("a#b"), "a key in a command: \(line)") }
        }
        #expect(text.contains(#"STEPHOST_ONLY: "build[it's $$(touch pwned)]""#), "\(text)")
        let file = "\(dir)/bk.yaml"
        TestSupport.write(file, text)
        let check = try await TestSupport.run(["check-jsonschema", "--builtin-schema", "vendor.buildkite", file], cwd: dir, timeout: 120)
        #expect(check.code == 0, "\(check.output)")
    }

    @Test("ci github: --var values (with ${{ }} and #) reach stephost only through env JSON; each job declares least-privilege permissions")
    func githubWorkflowValues() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
            workflows:
              w:
                on: {push: {branches: [main]}, pull_request: {}}
                steps:
                  - {id: list, uses: exec, with: {run: 'echo "names=[\\"a\\"]" >> "$STEPHOST_OUTPUT"'}}
                  - {id: build, uses: exec, needs: [list], for-each: '${{ fromJSON(steps.list.outputs.names) }}', with: {run: 'true'}}
                  - {id: pr, uses: bot-pr, needs: [build], with: {branch: bot/pins, title: pins, files: [x]}}
            """])
        let r = try await TestSupport.stephost(["ci", "github", "w", "--fan-out", "build", "--var", "NOTE=${{ secrets.DEPLOY_KEY }} # cut"], cwd: dir)
        #expect(r.code == 0, "\(r.output)")
        let yaml = r.stdout
        #expect(!yaml.contains("${{ secrets.DEPLOY_KEY"), "GitHub would evaluate it:\n\(yaml)")
        for line in yaml.split(separator: "\n") where line.contains("run:") || line.hasPrefix("          stephost") {
            #expect(!line.contains("NOTE") && !line.contains("# cut"), "a value in a script: \(line)")
        }
        #expect(yaml.contains(#"STEPHOST_ARGS: "[\"w\",\"--var\",\"NOTE=\\u0024{{ secrets.DEPLOY_KEY }} # cut\"]""#), "\(yaml)")
        #expect(yaml.contains("\npermissions: {}\n"), "nothing granted at the top")
        let finish = try #require(yaml.range(of: "\n  finish:\n")).upperBound
        let finishJob = yaml[finish...]
        #expect(finishJob.contains("      contents: write\n") && finishJob.contains("      pull-requests: write\n")
                && finishJob.contains("github.event_name != 'pull_request'"), "bot-pr's job writes, and never on a pull request:\n\(finishJob)")
        let legs = try #require(yaml.range(of: "\n  legs:\n")).upperBound
        #expect(yaml[legs..<finish].contains("    permissions:\n      contents: read\n    name:"), "the legs only read")
        let file = "\(dir)/wf.yaml"
        TestSupport.write(file, yaml)
        let check = try await TestSupport.run(["check-jsonschema", "--builtin-schema", "vendor.github-workflows", file], cwd: dir, timeout: 120)
        #expect(check.code == 0, "\(check.output)")

        // A workflow that runs only on pull requests cannot hold the write bot-pr needs: refused, naming the step.
        TestSupport.write("\(dir)/stephost.yaml", try String(contentsOfFile: "\(dir)/stephost.yaml", encoding: .utf8)
            .replacingOccurrences(of: "on: {push: {branches: [main]}, pull_request: {}}", with: "on: {pull_request: {}}"))
        let refused = try await TestSupport.stephost(["ci", "github", "w", "--fan-out", "build"], cwd: dir)
        #expect(refused.code == 2 && refused.stderr.contains("step 'pr' needs contents: write"), "\(refused.output)")
    }

    // 6. Masking comes before any cutting.
    @Test("a protocol violation quoting a line cut at 200 bytes, exec's bad output line cut at 80: no beginning of a secret shows")
    func maskBeforeCut() async throws {
        let secret = "sk-live-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        let manifest = """
            environments:
              ci:
                secrets: {TOKEN: env:CUT_TOKEN}
            workflows:
              stray:
                steps:
                  - {id: a, uses: leak, environment: ci, secrets: [TOKEN]}
              output:
                steps:
                  - {id: b, uses: exec, environment: ci, secrets: [TOKEN], with: {run: 'printf "%076d$TOKEN\\n" 0 >> "$STEPHOST_OUTPUT"'}}
            """
        // The stray line puts the secret across byte 200.
        let dir = try await Self.repo(manifest, plugin: #"""
            print("x" * 190 + m["params"]["secrets"]["TOKEN"], flush=True)
            """#)
        for wf in ["stray", "output"] {
            let r = try await TestSupport.stephost(["run", wf, "--json"], cwd: dir, env: ["CUT_TOKEN": secret])
            #expect(r.code == 1, "\(r.output)")
            #expect(!r.output.contains("sk-l"), "the secret's beginning shows in \(wf):\n\(r.output)")
            let error = try r.summary()["steps"]?.arrayValue?.first?["error"]?.stringValue ?? ""
            #expect(error.contains("***"), "\(wf): \(error)")
        }
    }

    @Test("OTLP: an error body, a malformed header variable and a URL's password never show a credential, whole or cut")
    func otlpMessages() async throws {
        let collector = try await LocalService.otlp("status:500")
        defer { collector.stop() }
        let dir = try await Self.repo("""
            workflows:
              w:
                steps:
                  - {id: a, uses: exec, with: {run: 'echo hi'}}
            """)
        let r = try await TestSupport.stephost(["run", "w"], cwd: dir, env: [
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://trace-user:url-password-4242@\(collector.address)",
            "OTEL_EXPORTER_OTLP_HEADERS": "x-api-key=header-secret-8888,malformed-credential-6666",
        ])
        #expect(r.code == 0, "\(r.output)")
        #expect(r.stderr.contains("not exported") && r.stderr.contains("***@"), "\(r.stderr)")
        for leaked in ["url-password", "header-secret", "malformed-cred", "url-", "head", "malf"] {
            #expect(!r.output.contains(leaked), "\(leaked) in:\n\(r.output)")
        }
        #expect(r.stderr.contains("OTEL_EXPORTER_OTLP_HEADERS: entry 2 is not key=value"), "\(r.stderr)")
    }

    // 7. Plugins see the CI context by an allowlist.
    @Test("a plugin sees GITHUB_SHA but never GITHUB_PAT, GITHUB_APP_PRIVATE_KEY, BUILDKITE_S3_SECRET_ACCESS_KEY, RUNNER_PASSWORD, GITHUB_ENV or GITHUB_PATH")
    func ciContextAllowlist() async throws {
        let dir = try await Self.repo("""
            workflows:
              w:
                steps:
                  - {id: a, uses: exec, with: {run: 'env | cut -d= -f1 | sort > names.txt'}}
            """)
        let planted = ["GITHUB_PAT", "GITHUB_APP_PRIVATE_KEY", "BUILDKITE_S3_SECRET_ACCESS_KEY", "RUNNER_PASSWORD", "GITHUB_ENV", "GITHUB_PATH",
                       "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "ACTIONS_RUNTIME_TOKEN", "BUILDKITE_AGENT_ACCESS_TOKEN", "CI_JOB_TOKEN", "CI_JOB_JWT_V2"]
        var env = Dictionary(uniqueKeysWithValues: planted.map { ($0, "planted-\($0.lowercased())") })
        env["GITHUB_SHA"] = "0123456789abcdef"
        env["BUILDKITE_BUILD_NUMBER"] = "42"
        let r = try await TestSupport.stephost(["run", "w"], cwd: dir, env: env)
        #expect(r.code == 0, "\(r.output)")
        let names = Set(try String(contentsOfFile: "\(dir)/names.txt", encoding: .utf8).split(separator: "\n").map(String.init))
        #expect(names.contains("GITHUB_SHA") && names.contains("BUILDKITE_BUILD_NUMBER"), "the documented context: \(names.sorted())")
        #expect(names.intersection(planted).isEmpty, "leaked to the plugin: \(names.intersection(planted).sorted())")
    }

    // 8. A workspace descriptor does not silently replace a bundled step.
    @Test("plugins.d/ claiming exec is refused without override:; with it, the step line names the plugin")
    func workspaceOverride() async throws {
        let dir = try await TestSupport.gitRepo([
            "stephost.yaml": """
                workflows:
                  w:
                    steps:
                      - {id: a, uses: exec, with: {run: 'echo hi'}}
                """,
            "plugins.d/shadow.yaml": "name: shadow\ncommand: [\(TestSupport.fake), --steps, exec, --any-inputs]\nsteps: [exec]\n",
        ])
        let r = try await TestSupport.stephost(["run", "w"], cwd: dir)
        #expect(r.code == 2 && r.stderr.contains("plugins.d/shadow.yaml") && r.stderr.contains("override: [exec]"), "\(r.output)")
        let v = try await TestSupport.stephost(["validate"], cwd: dir)
        #expect(v.code == 2 && v.stderr.contains("claims the bundled step 'exec'"), "\(v.output)")
        TestSupport.write("\(dir)/stephost.yaml", "override: [exec]\n" + (try String(contentsOfFile: "\(dir)/stephost.yaml", encoding: .utf8)))
        let allowed = try await TestSupport.stephost(["run", "w"], cwd: dir)
        #expect(allowed.code == 0 && allowed.stdout.contains("plugin 'shadow' from \(dir)/plugins.d/shadow.yaml"), "\(allowed.output)")
        let listed = try await TestSupport.stephost(["plugins"], cwd: dir)
        #expect(listed.stdout.contains("exec: served by 'shadow'") && listed.stdout.contains("exec: replaces the bundled step (override)"), "\(listed.output)")
    }

    // 9. Only documented events map to triggers; forks' pull requests and pull_request_target are untrusted.
    @Test("issue_comment and workflow_run run nothing; a fork's pull request and pull_request_target withhold secrets; --trust overrides")
    func untrustedEvents() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
            environments:
              ci:
                secrets: {TOKEN: env:DEPLOY_TOKEN}
            workflows:
              deploy:
                on: {manual: {}}
                steps:
                  - {id: ship, uses: exec, with: {run: 'touch shipped'}}
              checks:
                on: {pull_request: {}}
                steps:
                  - {id: lint, uses: exec, with: {run: 'echo trusted=${{ run.trusted }} > lint.txt'}}
                  - {id: publish, uses: exec, environment: ci, secrets: [TOKEN], with: {run: 'echo "$TOKEN" > published.txt'}}
                  - {id: after, uses: exec, needs: [publish], with: {run: 'true'}}
                  - {id: own, uses: leak, needs: []}
            """,
            // A plugin from the workspace: a fork could have written it. It leaves a mark when it starts.
            "leaky.py": "import os\nopen('plugin-started.txt', 'w').close()\n" + Self.plugin(#"""
                send({"jsonrpc": "2.0", "id": m["id"], "result": {"outputs": {}}})
                """#).replacingOccurrences(of: "#!/usr/bin/env python3\n", with: ""),
            "plugins.d/leaky.yaml": "name: leaky\ncommand: [python3, leaky.py]\nsteps: [leak]\n"])
        let head = try await TestSupport.git(dir, ["rev-parse", "HEAD"])
        let github = ["GITHUB_ACTIONS": "true", "GITHUB_SHA": head, "GITHUB_REF_NAME": "main", "DEPLOY_TOKEN": "deploy-token-2025"]
        for event in ["issue_comment", "workflow_run", "schedule"] {
            let r = try await TestSupport.stephost(["run", "--json"], cwd: dir, env: github.merging(["GITHUB_EVENT_NAME": event]) { $1 })
            #expect(r.code == 0 && r.stderr.contains("'\(event)' maps to no trigger"), "\(event): \(r.output)")
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/shipped"), "\(event) ran the deploy")
        }
        // A fork's pull request: the head repository is not the base's.
        let payload = "\(TestSupport.tempDir("event"))/event.json"
        TestSupport.write(payload, #"{"pull_request": {"head": {"sha": "\#(head)", "repo": {"full_name": "mallory/app"}}, "base": {"sha": "\#(head)", "repo": {"full_name": "acme/app"}}, "labels": []}}"#)
        for event in ["pull_request", "pull_request_target"] {
            let r = try await TestSupport.stephost(["run", "--json"], cwd: dir, env: github.merging(["GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": payload]) { $1 })
            #expect(r.code == 0, "\(event): \(r.output)")
            let summary = try r.summary()
            let steps = Dictionary(uniqueKeysWithValues: (summary["steps"]?.arrayValue ?? []).compactMap { s in s["id"]?.stringValue.map { ($0, s) } })
            #expect(summary["trusted"] == false, "\(event)")
            #expect(steps["publish"]?["status"] == "skipped" && steps["publish"]?["reason"] == "untrusted: secrets withheld", "\(event): \(steps)")
            #expect(steps["after"]?["reason"] == "needs skipped" && steps["lint"]?["status"] == "success")
            #expect(steps["own"]?["status"] == "skipped" && steps["own"]?["reason"]?.stringValue?.hasPrefix("untrusted: plugin 'leaky' from the workspace") == true,
                    "\(steps["own"] ?? .null)")
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/plugin-started.txt"), "the workspace's plugin was started")
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/published.txt"))
            #expect(try String(contentsOfFile: "\(dir)/lint.txt", encoding: .utf8) == "trusted=false\n")
            #expect(r.stderr.contains("untrusted run"), "\(r.stderr)")
        }
        let trusted = try await TestSupport.stephost(["run", "--json", "--trust"], cwd: dir,
                                                     env: github.merging(["GITHUB_EVENT_NAME": "pull_request_target", "GITHUB_EVENT_PATH": payload]) { $1 })
        let trustedFlag = try trusted.summary()["trusted"]
        #expect(trusted.code == 0 && trustedFlag == true && trusted.stderr.contains("--trust: running the untrusted event pull_request_target"),
                "\(trusted.output)")
        #expect(FileManager.default.fileExists(atPath: "\(dir)/published.txt") && FileManager.default.fileExists(atPath: "\(dir)/plugin-started.txt"))
    }

    @Test("GitLab and Buildkite: a merge request from another project, a pull request from another repository are untrusted; the same repository in another URL form is not")
    func untrustedElsewhere() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
            environments:
              ci:
                secrets: {TOKEN: env:DEPLOY_TOKEN}
            workflows:
              checks:
                on: {pull_request: {}}
                steps:
                  - {id: publish, uses: exec, environment: ci, secrets: [TOKEN], with: {run: 'true'}}
            """])
        func trusted(_ env: [String: String]) async throws -> (JSONValue?, JSONValue?) {
            let r = try await TestSupport.stephost(["run", "--json"], cwd: dir, env: env.merging(["DEPLOY_TOKEN": "deploy-token-2025"]) { $1 })
            #expect(r.code == 0, "\(r.output)")
            let s = try r.summary()
            return (s["trusted"], s["steps"]?.arrayValue?.first?["status"])
        }
        let gitlab = ["GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_PROJECT_ID": "1"]
        #expect(try await trusted(gitlab.merging(["CI_MERGE_REQUEST_SOURCE_PROJECT_ID": "2"]) { $1 }) == (false, "skipped"))
        #expect(try await trusted(gitlab.merging(["CI_MERGE_REQUEST_SOURCE_PROJECT_ID": "1"]) { $1 }) == (true, "success"))
        let buildkite = ["BUILDKITE": "true", "BUILDKITE_SOURCE": "webhook", "BUILDKITE_PULL_REQUEST": "12", "BUILDKITE_REPO": "https://github.com/acme/app"]
        #expect(try await trusted(buildkite.merging(["BUILDKITE_PULL_REQUEST_REPO": "git@github.com:mallory/app.git"]) { $1 }) == (false, "skipped"))
        #expect(try await trusted(buildkite.merging(["BUILDKITE_PULL_REQUEST_REPO": "git@github.com:acme/app.git"]) { $1 }) == (true, "success"))
        // A scheduled pipeline is its own event: no trigger matches it.
        let scheduled = try await TestSupport.stephost(["run", "--json"], cwd: dir, env: ["GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "schedule"])
        #expect(scheduled.code == 0 && scheduled.stderr.contains("'schedule' maps to no trigger"), "\(scheduled.output)")
    }

    // 10. The documented pattern survives a hostile directory name; validate warns about the dangerous one.
    @Test("the quickstart's for-each over directory names runs nothing from a directory named a$(touch${IFS}pwned); validate warns about ${{ item }} in run:")
    func hostileDirectoryName() async throws {
        var files = try await TestSupport.repositoryFiles { $0.hasPrefix("examples/quickstart/") || $0.hasPrefix("examples/plugins/") }
        files["examples/quickstart/processors/a$(touch${IFS}pwned)/main.py"] = "print('hi')\n"
        let dir = try await TestSupport.gitRepo(files)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: "\(dir)/examples/plugins/file_stats.py")
        let r = try await TestSupport.stephost(["run", "-f", "examples/quickstart/stephost.yaml"], cwd: dir)
        #expect(r.code == 0, "\(r.output)")
        let all = Self.paths(under: dir)
        #expect(all.contains { $0.hasSuffix("a$(touch${IFS}pwned)/main.py") }, "the walk sees the tree")
        #expect(!all.contains { $0 == "pwned" || $0.hasSuffix("/pwned") }, "the directory's name ran as a command")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/examples/quickstart/processors/pwned"))

        TestSupport.write("\(dir)/bad.yaml", """
            workflows:
              w:
                steps:
                  - {id: list, uses: exec, with: {run: 'echo "names=[]" >> "$STEPHOST_OUTPUT"'}}
                  - id: each
                    uses: exec
                    needs: [list]
                    for-each: ${{ fromJSON(steps.list.outputs.names) }}
                    with: {run: 'echo "${{ item }}"'}
            """)
        let v = try await TestSupport.stephost(["validate", "-f", "bad.yaml"], cwd: dir)
        #expect(v.code == 0 && v.stderr.contains("bad.yaml:9:") && v.stderr.contains("step 'each'") && v.stderr.contains("pass it through env:"), "\(v.output)")
    }

    // 13. A for-each key never makes a path outside the run's folder.
    @Test("a for-each key '../../../../escape' makes its temp folder inside the run's folder")
    func keyPaths() async throws {
        let root = TestSupport.tempDir("keys")
        let dir = "\(root)/ws"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        TestSupport.write("\(dir)/stephost.yaml", """
            workflows:
              w:
                steps:
                  - {id: a, uses: leak, for-each: ["../../../../escape", "../../../escape"], with: {}}
            """)
        TestSupport.write("\(dir)/leaky.py", Self.plugin(#"""
            send({"jsonrpc": "2.0", "id": m["id"], "result": {"outputs": {"tempDir": m["params"]["tempDir"]}}})
            """#))
        TestSupport.write("\(dir)/plugins.d/leaky.yaml", "name: leaky\ncommand: [python3, leaky.py]\nsteps: [leak]\n")
        let r = try await TestSupport.stephost(["run", "w", "--json"], cwd: dir)
        #expect(r.code == 0, "\(r.output)")
        let temps = try r.summary()["steps"]?.arrayValue?.compactMap { $0["outputs"]?["tempDir"]?.stringValue } ?? []
        #expect(temps.count == 2 && temps.allSatisfy { $0.hasPrefix("\(dir)/.stephost/tmp/") && !$0.contains("/../") }, "\(temps)")
        let ids = try r.summary()["steps"]?.arrayValue?.map { $0["id"] ?? .null }
        #expect(ids == ["a[../../../../escape]", "a[../../../escape]"], "keys unchanged in records")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["ws"], "nothing made outside the workspace")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/escape") && !FileManager.default.fileExists(atPath: "\(dir)/.stephost/escape"))
    }

    // 14. A flood of mask values is bounded.
    @Test("a plugin that sends 10,001 mask values fails its step as a protocol violation")
    func maskFlood() async throws {
        let dir = try await Self.repo("""
            workflows:
              w:
                steps:
                  - {id: a, uses: leak}
            """, plugin: #"""
            for k in range(10001):
                sys.stdout.write(json.dumps({"jsonrpc": "2.0", "method": "mask", "params": {"id": m["id"], "value": "flood-value-%06d" % k}}) + "\n")
            sys.stdout.flush()
            send({"jsonrpc": "2.0", "id": m["id"], "result": {"outputs": {}}})
            """#)
        let r = try await TestSupport.stephost(["run", "w", "--json"], cwd: dir, timeout: 120)
        #expect(r.code == 1, "\(r.output)")
        let error = try r.summary()["steps"]?.arrayValue?.first?["error"]?.stringValue ?? ""
        #expect(error.contains("more than 10000 mask values in one step"), "\(error)")
    }

    // 15. What a record says never drives the terminal or the runner.
    @Test("runs show of a record holding ESC/OSC sequences and ::error:: prints no control character, inside stop-commands on GitHub")
    func runsShowControls() async throws {
        let dir = try await Self.repo("""
            workflows:
              w:
                steps:
                  - {id: a, uses: exec, with: {run: 'exit 3'}}
            """)
        _ = try await TestSupport.stephost(["run", "w"], cwd: dir)
        let runs = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/.stephost/runs")
        let file = "\(dir)/.stephost/runs/\(runs[0])/journal.jsonl"
        let hostile = #"\u001b]0;owned\u0007\u001b[2J\u009b31m\n::error::forged annotation"#
        let journal = try String(contentsOfFile: file, encoding: .utf8)
        let forged = journal.replacingOccurrences(of: #""error":""#, with: #""error":"\#(hostile) "#)
        #expect(forged != journal, "the journal holds the step's error")
        TestSupport.write(file, forged)
        for env in [[:], ["GITHUB_ACTIONS": "true"]] {
            let r = try await TestSupport.stephost(["runs", "show", "last"], cwd: dir, env: env)
            #expect(r.code == 0, "\(r.output)")
            #expect(!r.stdout.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x9B }, "\(r.stdout.debugDescription)")
            #expect(r.stdout.contains("]0;owned"), "the text itself stays, without its control characters")
            if env.isEmpty { continue }
            let lines = r.stdout.split(separator: "\n").map(String.init)
            let stop = try #require(lines.firstIndex { $0.hasPrefix("::stop-commands::") })
            let token = String(lines[stop].dropFirst("::stop-commands::".count))
            let resume = try #require(lines.lastIndex(of: "::\(token)::"))
            let forgedLine = try #require(lines.firstIndex { $0.contains("::error::forged") })
            #expect(stop < forgedLine && forgedLine < resume, "\(r.stdout)")
        }
    }
}

@Suite("security: the action's args")
struct ActionArgsTests {
    @Test("a value with spaces from an event stays one argument: it cannot add an option (the action's own script, run by bash)")
    func argsAreLines() async throws {
        let action = try String(contentsOfFile: "\(TestSupport.repoRoot)/action.yml", encoding: .utf8)
        let script = try #require(action.split(separator: "\n").first { $0.contains("run: ") && $0.contains("$STEPHOST_BIN/stephost") })
            .replacingOccurrences(of: "      run: ", with: "")
        let bin = TestSupport.tempDir("action-bin")
        // A stand-in stephost that prints the arguments it got, one per line.
        TestSupport.write("\(bin)/stephost", "#!/bin/sh\nfor a in \"$@\"; do printf '<%s>\\n' \"$a\"; done\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: "\(bin)/stephost")
        // As `args: |` with a line that came from an event (a pull request's title).
        let title = "fix things --plugin exec=./evil.sh"
        let r = try await TestSupport.run(["/bin/bash", "-c", script], cwd: bin,
                                          env: ["STEPHOST_BIN": bin, "STEPHOST_ARGS": "run\n  \n\(title)\n"])
        #expect(r.code == 0, "\(r.output)")
        #expect(r.stdout == "<run>\n<\(title)>\n", "each line one argument, blank lines dropped: \(r.stdout)")
    }
}

@Suite("security: the HTTP client's credential rules")
struct HTTPCredentialTests {
    @Test("a credential over plain http to a host that is not loopback is refused before connecting")
    func plainHTTP() async throws {
        let dir = TestSupport.tempDir("plain")
        TestSupport.write("\(dir)/stephost.yaml", """
            workflows:
              w:
                steps:
                  - {id: a, uses: exec, with: {run: 'true'}}
            """)
        // `.invalid` never resolves: a client that tried to connect would say so instead.
        let r = try await TestSupport.stephost(["run", "w"], cwd: dir, env: [
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector.stephost-test.invalid:4318",
            "OTEL_EXPORTER_OTLP_HEADERS": "x-api-key=plain-http-key-7",
        ])
        #expect(r.code == 0 && r.stderr.contains("go only over https"), "\(r.output)")
        #expect(!r.output.contains("plain-http-key-7"))
    }
}

@Suite("security: the docs")
struct SecurityDocsTests {
    @Test("docs/security.md names every variable of the CI context allowlist; the README's CI section points to it")
    func allowlistDocumented() throws {
        let doc = try String(contentsOfFile: "\(TestSupport.repoRoot)/docs/security.md", encoding: .utf8)
        let missing = CIContext.allowed.filter { !doc.contains("`\($0)`") }
        #expect(missing.isEmpty, "docs/security.md does not list \(missing.sorted())")
        let readme = try String(contentsOfFile: "\(TestSupport.repoRoot)/README.md", encoding: .utf8)
        let ci = try #require(readme.range(of: "## Using it in CI"))
        let section = readme[ci.upperBound...].prefix { _ in true }
        let end = section.range(of: "\n## ")?.lowerBound ?? section.endIndex
        #expect(section[..<end].contains("(docs/security.md)"))
    }

    /// Lines of shell text in a document: `run:` values, the lines of a `run: |` block, and `args:` of the action.
    static func shellLines(_ text: String) -> [(line: Int, text: String)] {
        var out: [(Int, String)] = []
        var blockIndent: Int?
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let indent = line.prefix { $0 == " " }.count
            if let b = blockIndent, indent > b || line.trimmingCharacters(in: .whitespaces).isEmpty { out.append((n + 1, String(line))); continue }
            blockIndent = nil
            let trimmed = line.trimmingCharacters(in: .whitespaces).drop { $0 == "-" }.trimmingCharacters(in: .whitespaces)
            for key in ["run:", "args:"] where trimmed.hasPrefix(key) {
                let value = trimmed.dropFirst(key.count).trimmingCharacters(in: .whitespaces)
                if value.hasPrefix("|") || value.hasPrefix(">") { blockIndent = indent } else { out.append((n + 1, String(line))) }
            }
            if trimmed.contains("{run:") || trimmed.contains(", run:") { out.append((n + 1, String(line))) }
        }
        return out
    }

    @Test("no doc, example or workflow puts an expression that reads data into shell text")
    func noInjectionInDocs() async throws {
        let files = try await TestSupport.repositoryFiles {
            ($0.hasSuffix(".md") && !$0.hasPrefix("Tests/")) || (($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix("Tests/"))
        }
        let data = ["${{ item", "${{ steps.", "${{ inputs.", "${{ github.event.", "${{ github.head_ref", "${{ run.branch", "${{ run.tag", "${{ matrix."]
        var found: [String] = []
        for (path, text) in files.sorted(by: { $0.key < $1.key }) {
            for (n, line) in Self.shellLines(text) where data.contains(where: { line.contains($0) }) {
                found.append("\(path):\(n): \(line.trimmingCharacters(in: .whitespaces))")
            }
        }
        #expect(found.isEmpty, "expressions in shell text:\n\(found.joined(separator: "\n"))")
        // The check itself finds the pattern it is for.
        #expect(Self.shellLines("steps:\n  - run: echo \"${{ item }}\"\n  - with:\n      run: |\n        x=${{ steps.a.outputs.b }}\n")
            .filter { $0.text.contains("${{") }.count == 2)
    }
}

import Foundation
import StepProtocol
import Testing

/// What a run shows CI systems and tools, read by independent readers: JUnit by junitparser,
/// events by jsonschema against `stephost schema events`, GitHub's workflow commands as its
/// runner parses them, Buildkite's agent through a stand-in that records what it was given.
@Suite("Reports: JUnit, events, GitHub Actions, Buildkite, plain", .timeLimit(.minutes(3)))
struct ReportingTests {
    static let secret = "tok-secret-123456"
    var fake: String { "fake=\(TestSupport.fake)" }

    /// A run with a warning, an error outside the workspace, a bare \r, a stderr line, a failure
    /// with a hint, a step skipped because of it, and a for-each.
    func repo() async throws -> String {
        let dir = try await TestSupport.gitRepo([:])
        TestSupport.write("\(dir)/stephost.yaml", """
            environments:
              ci:
                secrets: {TOKEN: env:REPORT_TOKEN}
            workflows:
              w:
                steps:
                  - id: build
                    uses: fake
                    needs: []
                    with:
                      mode: logs
                      list:
                        - {level: warning, message: "deprecated flag", file: "\(dir)/src/we,ird:name.py", line: 3}
                        - {level: error, message: "bad thing", file: "/etc/outside.txt", line: 1}
                        - {level: info, message: "note\\r::error::injected"}
                        - {level: info, message: "leaking \(Self.secret)"}
                        - "::warning::from stderr"
                  - id: deploy
                    uses: fake
                    needs: [build]
                    environment: ci
                    secrets: [TOKEN]
                    with: {mode: logs, list: [{level: info, message: "deploying"}], message: "deploy failed", hint: "check the token"}
                  - {id: after, uses: fake, needs: [deploy], with: {mode: echo}}
                  - {id: each, uses: fake, needs: [build], for-each: [a, b], with: {mode: echo, outputs: {n: "${{ item }}"}}}
            """)
        return dir
    }

    func python(_ script: String, _ args: [String], cwd: String) async throws -> TestSupport.Result {
        try await TestSupport.run(["python3", "-c", script] + args, cwd: cwd)
    }

    @Test("--junit: junitparser reads the suite, counts, failure type and text, skipped reason, file and line; no secret")
    func junit() async throws {
        let dir = try await repo()
        let r = try await TestSupport.stephost(["run", "w", "-j", "1", "--plugin", fake, "--junit", "report.xml", "--progress", "plain"],
                                               cwd: dir, env: ["REPORT_TOKEN": Self.secret])
        #expect(r.code == 1, "\(r.stderr)")
        let xml = try String(contentsOfFile: "\(dir)/report.xml", encoding: .utf8)
        #expect(!xml.contains(Self.secret))
        let check = try await python("""
            import sys, json
            from junitparser import JUnitXml, Failure, Skipped
            xml = JUnitXml.fromfile(sys.argv[1])
            out = {"suites": []}
            for suite in xml:
                cases = {}
                for c in suite:
                    res = [{"kind": type(x).__name__, "message": x.message, "type": x.type, "text": x.text} for x in c.result]
                    cases[c.name] = {"classname": c.classname, "file": c._elem.get("file"), "line": c._elem.get("line"),
                                     "result": res, "out": c.system_out}
                out["suites"].append({"name": suite.name, "tests": suite.tests, "failures": suite.failures, "errors": suite.errors,
                                      "skipped": suite.skipped, "cases": cases})
            print(json.dumps(out))
            """, ["report.xml"], cwd: dir)
        #expect(check.code == 0, "\(check.stderr)")
        let o = try JSONParser.parse(check.stdout)
        let suite = try #require(o["suites"]?.arrayValue?.first)
        #expect(suite["name"] == "w" && suite["tests"] == 5 && suite["failures"] == 1 && suite["skipped"] == 1, "\(suite)")
        let manifest = try String(contentsOfFile: "\(dir)/stephost.yaml", encoding: .utf8).components(separatedBy: "\n")
        func line(_ text: String) -> JSONValue { .string(String((manifest.firstIndex { $0.contains(text) } ?? -2) + 1)) }
        let deploy = try #require(suite["cases"]?["deploy"])
        #expect(deploy["classname"] == "w" && deploy["file"] == "stephost.yaml")
        #expect(deploy["line"] == line("- id: deploy"), "the line of the step's first key: \(deploy)")
        #expect(deploy["out"]?.stringValue?.components(separatedBy: "deploying").count == 2, "each line once: \(deploy)")
        #expect(deploy["result"]?.arrayValue?.first?["kind"] == "Failure" && deploy["result"]?.arrayValue?.first?["type"] == "failure")
        #expect(deploy["result"]?.arrayValue?.first?["message"] == "deploy failed")
        #expect(deploy["result"]?.arrayValue?.first?["text"]?.stringValue?.contains("hint: check the token") == true)
        #expect(suite["cases"]?["after"]?["result"]?.arrayValue?.first?["kind"] == "Skipped")
        #expect(suite["cases"]?["after"]?["result"]?.arrayValue?.first?["message"] == "needs failed")
        #expect(suite["cases"]?["each[a]"]?["line"] == line("{id: each,"))
        #expect(suite["cases"]?["build"]?["out"]?.stringValue?.contains("deprecated flag") == true)
    }

    @Test("--events: every line valid against stephost schema events (jsonschema), seq without gaps, logs and progress in it; the journal shares the form")
    func events() async throws {
        let dir = try await repo()
        let r = try await TestSupport.stephost(["run", "w", "--plugin", fake, "--events", "-", "--progress", "plain"],
                                               cwd: dir, env: ["REPORT_TOKEN": Self.secret])
        #expect(r.code == 1, "\(r.stderr)")
        #expect(!r.stdout.contains(Self.secret))
        #expect(r.stderr.contains("[deploy] failure"), "people's lines go to stderr with --events -")
        TestSupport.write("\(dir)/events.jsonl", r.stdout)
        let schema = try await TestSupport.stephost(["schema", "events"], cwd: dir)
        TestSupport.write("\(dir)/schema.json", schema.stdout)
        let check = try await python("""
            import sys, json, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft7Validator.check_schema(schema)
            v = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
            lines = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
            for e in lines:
                errors = list(v.iter_errors(e))
                assert not errors, (e, [x.message for x in errors])
            assert [e["seq"] for e in lines] == list(range(1, len(lines) + 1)), "seq has gaps"
            # A wrong event is refused, so the schema says something.
            assert list(v.iter_errors({"v": 1, "seq": 1, "time": "x", "type": "step-finished"})), "a step-finished without fields passed"
            print(json.dumps(sorted(set(e["type"] for e in lines))))
            """, ["schema.json", "events.jsonl"], cwd: dir)
        #expect(check.code == 0, "\(check.stderr)")
        #expect(check.stdout.contains("\"log\"") && check.stdout.contains("\"progress\"") && check.stdout.contains("\"run-finished\""), "\(check.stdout)")
        let runID = try #require(r.stdout.split(separator: "\n").first.flatMap { try? JSONParser.parse(String($0)) }?["id"]?.stringValue)
        let journal = try String(contentsOfFile: "\(dir)/.stephost/runs/\(runID)/journal.jsonl", encoding: .utf8)
        let types = try journal.split(separator: "\n").map { try JSONParser.parse(String($0)) }
        #expect(types.allSatisfy { $0["v"] == 1 && $0["seq"]?.intValue != nil && $0["type"]?.stringValue != nil })
        #expect(!types.contains { $0["type"] == "log" || $0["type"] == "progress" }, "the journal leaves out log and progress")
    }

    /// Lines of GitHub output, checked as the runner reads them: which lines are commands.
    struct GitHubLog {
        var lines: [String]
        /// Lines printed while workflow commands were on (outside ::stop-commands::).
        var commandLines: [String] {
            var token: String?
            var out: [String] = []
            for l in lines {
                if let t = token { if l == "::\(t)::" { token = nil }; continue }
                if l.hasPrefix("::stop-commands::") { token = String(l.dropFirst("::stop-commands::".count)); continue }
                if l.hasPrefix("::") { out.append(l) }
            }
            return out
        }
        /// The step ids of the groups, in order, and whether any two overlap.
        var groups: (titles: [String], nested: Bool) {
            var open = false, nested = false
            var titles: [String] = []
            for l in commandLines {
                if l.hasPrefix("::group::") { if open { nested = true }; open = true; titles.append(String(l.dropFirst(9))) }
                if l == "::endgroup::" { if !open { nested = true }; open = false }
            }
            return (titles, nested || open)
        }
    }

    @Test("GitHub Actions: add-mask first, one group per step, plugin text cannot issue commands, annotations escaped, step summary, outputs")
    func github() async throws {
        let dir = try await repo()
        let summary = "\(dir)/summary.md", outputs = "\(dir)/outputs.txt"
        let r = try await TestSupport.stephost(["run", "w", "-j", "1", "-v", "--plugin", fake, "--github-output", "each=steps.each.outputs.n"],
                                               cwd: dir, env: ["REPORT_TOKEN": Self.secret, "GITHUB_ACTIONS": "true",
                                                               "GITHUB_STEP_SUMMARY": summary, "GITHUB_OUTPUT": outputs])
        #expect(r.code == 1, "\(r.stderr)")
        let log = GitHubLog(lines: r.stdout.components(separatedBy: "\n"))
        #expect(log.lines.first == "::add-mask::\(Self.secret)", "add-mask before anything else: \(log.lines.prefix(3))")
        #expect(log.lines.filter { $0.contains(Self.secret) }.count == 1, "the secret only in add-mask")
        let commands = log.commandLines
        #expect(!commands.contains("::error::injected") && !commands.contains("::warning::from stderr"), "plugin text issued a command: \(commands)")
        #expect(log.lines.contains("::error::injected") && log.lines.contains("note"), "the bare \\r split the message into two lines")
        let (titles, nested) = log.groups
        #expect(!nested, "groups nest or stay open: \(commands)")
        // Run one at a time (-j 1), each step streams live into its group; a skipped step's group is opened when it ends.
        #expect(titles == ["build (fake)", "deploy (fake)", "⏭️ after (fake)", "each[a] (fake)", "each[b] (fake)"], "\(titles)")
        #expect(commands.contains("::error title=deploy failed::deploy failed%0Ahint: check the token"), "\(commands)")
        #expect(commands.contains("::warning title=build,file=src/we%2Cird%3Aname.py,line=3::deprecated flag"), "\(commands)")
        #expect(commands.contains("::error title=build,line=1::bad thing"), "a file outside the workspace is left out: \(commands)")
        let md = try String(contentsOfFile: summary, encoding: .utf8)
        #expect(md.contains("| ❌ | `deploy` | fake |") && md.contains("**Hint:** check the token") && md.contains("deploying"), "\(md)")
        #expect(!md.contains(Self.secret))
        let out = try String(contentsOfFile: outputs, encoding: .utf8).components(separatedBy: "\n")
        #expect(out.count >= 3 && out[0].hasPrefix("each<<") && out[1] == #"{"a":"a","b":"b"}"# && out[2] == String(out[0].dropFirst(6)), "\(out)")
    }

    @Test("GitHub Actions: steps running at once are held and printed as whole groups, titled with status and duration")
    func heldGroups() async throws {
        // a waits for a file that b writes as it ends: b always runs while a does (an event, not timing).
        let dir = try await TestSupport.gitRepo([:])
        TestSupport.write("\(dir)/stephost.yaml", """
            workflows:
              w:
                steps:
                  - {id: a, uses: fake, needs: [], with: {mode: logs, list: [{message: "a1"}, {message: "a2"}], release: "\(dir)/b-done"}}
                  - {id: b, uses: exec, needs: [], with: {run: 'echo b1; echo b2; touch b-done'}}
            """)
        let r = try await TestSupport.stephost(["run", "w", "-j", "2", "--plugin", fake], cwd: dir, env: ["GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": ""])
        #expect(r.code == 0, "\(r.stderr)")
        let log = GitHubLog(lines: r.stdout.components(separatedBy: "\n"))
        #expect(!log.groups.nested)
        // Inside each group only that step's lines.
        var current: String?
        for l in log.lines {
            if l.hasPrefix("::group::") { current = l.hasSuffix(" a (fake)") || l == "::group::a (fake)" ? "a" : "b"; continue }
            if l == "::endgroup::" { current = nil; continue }
            if let c = current, l == "a1" || l == "a2" || l == "b1" || l == "b2" { #expect(l.hasPrefix(c), "\(l) inside \(c)'s group") }
        }
        // Which of the two opens its group live depends on which starts first; the other is held.
        #expect(log.groups.titles.contains { $0.hasPrefix("✅ ") && ($0.hasSuffix(" b (exec)") || $0.hasSuffix(" a (fake)")) && $0.split(separator: " ").count == 4 },
                "a held group's title has its status and duration in front: \(log.groups.titles)")
    }

    @Test("Buildkite: --- groups, ^^^ +++ after a failure, the agent's annotate and redactor add")
    func buildkite() async throws {
        let dir = try await repo()
        let bin = TestSupport.tempDir("bin")
        TestSupport.write("\(bin)/buildkite-agent", """
            #!/bin/sh
            echo "$*" >> "\(dir)/agent-args.txt"
            cat >> "\(dir)/agent-stdin-$1.txt"
            """)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: "\(bin)/buildkite-agent")
        let path = "\(bin):\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")"
        let r = try await TestSupport.stephost(["run", "w", "-j", "1", "--plugin", fake], cwd: dir,
                                               env: ["REPORT_TOKEN": Self.secret, "BUILDKITE": "true", "PATH": path])
        #expect(r.code == 1, "\(r.stderr)")
        let lines = r.stdout.components(separatedBy: "\n")
        #expect(lines.contains("--- ⏳ build (fake)"), "\(lines)")
        // The live group was titled before the outcome: its end goes into a section titled ❌, which ^^^ +++ opens.
        let failed = try #require(lines.firstIndex(of: "--- ⏳ deploy (fake)"))
        let titled = try #require(lines[failed...].firstIndex { $0.hasPrefix("--- ❌ ") && $0.hasSuffix(" deploy (fake)") }, "\(lines)")
        let next = try #require(lines[titled...].firstIndex(of: "^^^ +++"))
        #expect(!lines[titled + 1..<next].contains { $0.hasPrefix("--- ") }, "^^^ +++ opens the failed step's ❌ section")
        let args = try String(contentsOfFile: "\(dir)/agent-args.txt", encoding: .utf8)
        #expect(args.contains("redactor add") && args.contains("annotate --context stephost-w --style error"), "\(args)")
        #expect(try String(contentsOfFile: "\(dir)/agent-stdin-redactor.txt", encoding: .utf8) == Self.secret)
        #expect(try String(contentsOfFile: "\(dir)/agent-stdin-annotate.txt", encoding: .utf8).contains("| ❌ | `deploy` |"))
        #expect(!r.stdout.contains(Self.secret))
    }

    @Test("plain: a silent step gets a heartbeat; --quiet keeps only failures and the table; a bare \\r ends a line")
    func plain() async throws {
        let dir = try await repo()
        TestSupport.write("\(dir)/slow.yaml", "workflows:\n  w:\n    steps:\n      - {id: slow, uses: fake, with: {mode: sleep, ms: 4000}}\n")
        let slow = try await TestSupport.stephost(["run", "w", "-f", "slow.yaml", "--plugin", fake, "--progress", "plain"], cwd: dir,
                                                  env: ["STEPHOST_HEARTBEAT": "1s"])
        #expect(slow.code == 0)
        #expect(slow.stdout.contains("[slow] still running ("), "\(slow.stdout)")
        let quiet = try await TestSupport.stephost(["run", "w", "--plugin", fake, "--quiet", "--progress", "plain"], cwd: dir,
                                                   env: ["REPORT_TOKEN": Self.secret])
        #expect(quiet.code == 1)
        #expect(!quiet.stdout.contains("started") && !quiet.stdout.contains("[build]"), "\(quiet.stdout)")
        #expect(quiet.stdout.contains("[deploy] failure") && quiet.stdout.contains("[deploy]   error: deploy failed") && quiet.stdout.contains("deploying"))
        #expect(quiet.stdout.contains("STEP") && quiet.stdout.contains("exit status 1"))
        let plain = try await TestSupport.stephost(["run", "w", "--plugin", fake, "--progress", "plain"], cwd: dir, env: ["REPORT_TOKEN": Self.secret])
        let lines = plain.stdout.components(separatedBy: "\n")
        #expect(lines.contains("[build] note") && lines.contains("[build] ::error::injected"), "\(lines)")
        #expect(!plain.stdout.contains(Self.secret) && !plain.stdout.contains("\r"))
    }

    @Test("a failed step's last stderr lines are its own; lines from a time its plugin served several steps say they may be another's")
    func stderrAttribution() async throws {
        // In at-once, a waits until b has started (b's barrier file), so b's stderr line comes while the process serves both.
        let dir = try await TestSupport.gitRepo([:])
        let barrier = TestSupport.tempDir("barrier")
        TestSupport.write("\(dir)/stephost.yaml", """
            workflows:
              one-by-one:
                steps:
                  - {id: d, uses: fake, with: {mode: logs, list: ["d-line"]}}
                  # A line read after the next step started on the process is that step's to the host (stderr carries
                  # no request id): the pause lets d's lines be read before c begins.
                  - {id: pause, uses: exec, with: {run: 'sleep 1'}}
                  - {id: c, uses: fake, with: {mode: logs, list: ["c-line"], message: "c failed"}}
              at-once:
                steps:
                  - {id: a, uses: fake, needs: [], with: {mode: logs, list: ["a-line"], release: "\(barrier)/b", message: "a failed"}}
                  # b starts only after x, which started with a: so a is running (waiting for b) when b writes its line.
                  - {id: x, uses: exec, needs: [], with: {run: 'true'}}
                  - {id: b, uses: fake, needs: [x], with: {mode: barrier, dir: "\(barrier)", count: 1}}
            """)
        let one = try await TestSupport.stephost(["run", "one-by-one", "-j", "1", "--plugin", fake, "--json"], cwd: dir)
        #expect(one.code == 1)
        #expect(one.stderr.contains("[c]     c-line"), "\(one.stderr)")
        #expect(!one.stderr.contains("[c]     d-line"), "d's line was shown as c's: \(one.stderr)")
        let both = try await TestSupport.stephost(["run", "at-once", "-j", "2", "--plugin", "fake=\(TestSupport.fake) --concurrency 2",
                                                   "--progress", "plain"], cwd: dir)
        #expect(both.code == 1)
        #expect(both.stdout.contains("[a]     (may be another step's) fake: b mode barrier"), "\(both.stdout)")
    }

    @Test("inside GitHub Actions (act): a group per step, the failure annotated, plugin text issues no command, the summary, outputs to a later step, no secret",
          .enabled(if: ActRunner.available || TestSupport.inCI))
    func insideAct() async throws {
        let dir = try await repo()
        let act = try await ActRunner.run(repo: dir, workflow: """
            on: push
            jobs:
              pipeline:
                runs-on: ubuntu-latest
                steps:
                  - id: stephost
                    continue-on-error: true
                    run: 'cd "\(dir)" && "\(TestSupport.stephost)" run w -j 1 --plugin "fake=\(TestSupport.fake)" --github-output each=steps.each.outputs.n'
                    env:
                      REPORT_TOKEN: \(Self.secret)
                  - run: echo "each is ${{ steps.stephost.outputs.each }}"
            """)
        #expect(act.code == 0 && !act.events.isEmpty, "\(act.stderr)")
        let e = act.events
        let groups = e.filter { $0.command == "group" }.map(\.arg)
        #expect(groups == ["build (fake)", "deploy (fake)", "⏭️ after (fake)", "each[a] (fake)", "each[b] (fake)"], "\(groups)")
        #expect(e.filter { $0.command == "endgroup" }.count == groups.count)
        let failure = e.first { $0.command == "error" && $0.property("title") == "deploy failed" }
        #expect(failure?.arg == "deploy failed\nhint: check the token", "\(e.filter { $0.command != nil }.map(\.message))")
        #expect(e.contains { $0.command == "warning" && $0.property("file") == "src/we,ird:name.py" && $0.arg == "deprecated flag" },
                "the runner reads the escaped properties back")
        #expect(!e.contains { $0.command == "error" && $0.arg == "injected" } && e.contains { $0.command == "ignored" && $0.message.contains("::error::injected") },
                "a plugin's '::error::' is ignored by the runner")
        #expect(e.contains { $0.command == "summary" && $0.message.contains("`deploy`") }, "the step summary table")
        #expect(e.contains { $0.message.contains(#"each is {"a":"a","b":"b"}"#) || $0.message.contains("each is {a:a,b:b}") }, "the output reached a later step")
        #expect(!e.contains { $0.command != "add-mask" && $0.message.contains(Self.secret) }, "a secret in act's log")
    }

    @Test("GitHub Actions: at most 10 annotations a level and a notice for the rest; the summary keeps its table whole within 1 MiB; an output holding a secret is refused")
    func githubLimits() async throws {
        let warnings = (1...13).map { "{level: warning, message: \"warning \($0)\"}" }.joined(separator: ", ")
        let big = String(repeating: "x", count: 3000)
        // Sixty failures with 20 lines of 2 KiB each: twice the limit, even if some stderr lines arrive after the summary.
        let failing = (1...60).map { "      - {id: f\($0), uses: fake, needs: [], with: {mode: logs, list: [\"\(big)\"], count: 25, message: \"failed \($0)\"}}" }
            .joined(separator: "\n")
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
            environments:
              ci: {secrets: {TOKEN: env:REPORT_TOKEN}}
            workflows:
              w:
                steps:
                  - {id: warn, uses: fake, needs: [], with: {mode: logs, list: [\(warnings)]}}
                  - {id: leak, uses: fake, needs: [], environment: ci, secrets: [TOKEN], with: {mode: echo, outputs: {v: "\(Self.secret)"}}}
            \(failing)
            """])
        let summary = "\(dir)/summary.md", outputs = "\(dir)/outputs.txt"
        let r = try await TestSupport.stephost(["run", "w", "--plugin", fake, "--github-output", "v=steps.leak.outputs.v",
                                                "--github-output", "n=steps.warn.status"], cwd: dir,
                                               env: ["REPORT_TOKEN": Self.secret, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary, "GITHUB_OUTPUT": outputs],
                                               timeout: 180)
        #expect(r.code == 1)
        let commands = GitHubLog(lines: r.stdout.components(separatedBy: "\n")).commandLines
        #expect(commands.filter { $0.hasPrefix("::error ") }.count == 10 && commands.filter { $0.hasPrefix("::warning ") }.count == 10, "\(commands)")
        #expect(commands.contains("::notice::53 more annotations were left out (GitHub shows at most 10 per level); they are in the step summary"), "\(commands)")
        let md = try String(contentsOfFile: summary, encoding: .utf8)
        #expect(md.utf8.count <= 1 << 20, "the summary is \(md.utf8.count) bytes")
        #expect((1...60).allSatisfy { md.contains("| ❌ | `f\($0)` |") }, "the table is whole")
        #expect(md.contains("the rest is cut: the summary is limited to 1 MiB"))
        #expect(r.stderr.contains("--github-output v: the value holds a secret, so it is not written"), "\(r.stderr)")
        let written = try String(contentsOfFile: outputs, encoding: .utf8)
        #expect(!written.contains(Self.secret) && written.contains("n<<") && written.contains("\nsuccess\n"), "the other outputs are written: \(written)")
    }

    @Test("runs prune --keep N keeps the newest N runs; completion scripts are valid shell")
    func pruneAndCompletion() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": "workflows:\n  w:\n    steps:\n      - {id: a, uses: exec, with: {run: 'true'}}\n"])
        var ids: [String] = []
        for _ in 0..<4 { ids.append(try #require(try await TestSupport.stephost(["run", "w", "--json"], cwd: dir).summary()["id"]?.stringValue)) }
        let prune = try await TestSupport.stephost(["runs", "prune", "--keep", "2"], cwd: dir)
        #expect(prune.code == 0 && prune.stdout.contains("removed 2 runs, kept 2"), "\(prune.output)")
        let left = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/.stephost/runs").sorted()
        #expect(left == Array(ids.suffix(2)).sorted(), "the newest two stay: \(left) of \(ids)")
        let bad = try await TestSupport.stephost(["runs", "prune"], cwd: dir)
        #expect(bad.code == 2 && bad.stderr.contains("--keep N"))
        let bash = try await TestSupport.stephost(["completion", "bash"], cwd: dir)
        TestSupport.write("\(dir)/completion.bash", bash.stdout)
        let parsed = try await TestSupport.run(["bash", "-c", "source completion.bash && COMP_WORDS=(stephost run ''); COMP_CWORD=2; _stephost; echo \"${COMPREPLY[*]}\""], cwd: dir,
                                            env: ["PATH": "\(TestSupport.binDir):\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")"])
        #expect(parsed.code == 0, "\(parsed.stderr)")
        #expect(parsed.stdout.split(whereSeparator: \.isWhitespace).contains("w"), "the manifest's workflow completes: \(parsed.stdout)")
        let options = try await TestSupport.run(["bash", "-c", "source completion.bash && COMP_WORDS=(stephost run --ju); COMP_CWORD=2; _stephost; echo \"${COMPREPLY[*]}\""], cwd: dir)
        #expect(options.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "--junit")
    }
}

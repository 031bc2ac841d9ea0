import Foundation
import StepJournal
import StepProcess
import StepProtocol
import Testing

/// Interrupts, fail-fast, limits on parallelism, contexts, and the defaults stephost takes inside GitHub Actions.
@Suite("stephost run: control and contexts", .timeLimit(.minutes(4)))
struct RunControlTests {
    var fake: String { "fake=\(TestSupport.fake)" }
    func summary(_ r: TestSupport.Result) throws -> JSONValue { try r.summary() }
    func step(_ s: JSONValue, _ id: String) -> JSONValue? { s.stepsByID[id] }

    @Test("SIGINT cancels running steps, prints the summary and exits 130; no plugin outlives the host")
    func interrupt() async throws {
        let pidfile = "\(TestSupport.tempDir("pid"))/sleeper.pid"
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        workflows:
          w:
            steps:
              - {id: hang, uses: fake, needs: [], with: {mode: hang}}
              - {id: sleeper, uses: sleeper, needs: [], with: {mode: fork-sleeper, pidfile: "\(pidfile)"}}
              - {id: later, uses: fake, needs: [hang]}
        """])
        let out = TestSupport.Buffer(), err = TestSupport.Buffer()
        let p = try ChildProcess(executable: TestSupport.stephost,
                                 arguments: ["run", "w", "--cancel-grace", "1s", "--plugin", fake,
                                             "--plugin", "sleeper=\(TestSupport.fake) --no-cancel --steps sleeper"],
                                 environment: ProcessInfo.processInfo.environment, directory: dir,
                                 onStdout: { out.add($0) }, onStderr: { err.add($0) })
        p.closeStdin()
        // Wait until both steps run and the sleeper has forked its grandchild.
        let inside = try await TestSupport.waitUntil(20) { out.text.contains("[hang] hanging") && FileManager.default.fileExists(atPath: pidfile) }
        #expect(inside, "the steps never started: \(out.text)\(err.text)")
        kill(p.pid, SIGINT)
        let status = await TestSupport.waitForExit(p, within: 60)
        #expect(await out.waitEOF(), "the host exited, but a process it started still holds its stdout open")
        #expect(status == .exited(130), "\(err.text)")
        #expect(out.text.contains("[hang] cancelled"), "\(out.text)")
        #expect(out.text.contains("STEP"), "the summary table is printed")
        #expect(out.text.contains("later") && out.text.contains("skipped"))
        let sleeper = try #require(pid_t(try String(contentsOfFile: pidfile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        var alive = true
        for _ in 0..<40 where alive {
            alive = TestSupport.isAlive(sleeper)
            if alive { try await Task.sleep(nanoseconds: 50_000_000) }
        }
        #expect(!alive, "the plugin's grandchild (pid \(sleeper)) outlived the host")
    }

    @Test("a second SIGINT skips the grace period; SIGTERM exits 143")
    func secondInterrupt() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        workflows:
          w:
            steps:
              - {id: stubborn, uses: fake, with: {mode: ignore-cancel}}
        """])
        for (signals, code) in [([SIGINT, SIGINT], 130), ([SIGTERM], 143)] {
            // A grace period longer than the test's time limit: only skipping it ends the run in time.
            let host = try TestSupport.startStephost(["run", "w", "--cancel-grace", "10m", "--plugin", fake], cwd: dir)
            #expect(try await TestSupport.waitUntil(20) { host.out.text.contains("[stubborn] hanging") })
            for (k, sig) in signals.enumerated() {
                kill(host.process.pid, sig)
                // The host says each signal it receives: the next one is sent after that.
                let heard = try await TestSupport.waitUntil(10) { host.err.text.components(separatedBy: "received; cancelling").count - 1 > k }
                #expect(heard, "the host did not acknowledge signal \(sig): \(host.err.text)")
            }
            let ended = try await TestSupport.waitUntil(signals.count > 1 ? 15 : 2) { host.process.exitStatus != nil }
            if signals.count > 1 {
                #expect(ended, "a second SIGINT did not skip the grace period")
                #expect(host.process.exitStatus == .exited(Int32(code)), "\(host.err.text)")
                #expect(host.out.text.contains("cancelled (interrupted by SIGINT; asked the plugin to stop, then sent its processes SIGTERM and SIGKILL)"), "\(host.out.text)")
            } else {
                // One SIGTERM waits out the grace period; a SIGINT after it ends the run.
                #expect(!ended, "SIGTERM did not wait for the grace period")
                kill(host.process.pid, SIGINT)
                #expect(try await TestSupport.waitUntil(15) { host.process.exitStatus != nil })
                #expect(host.process.exitStatus == .exited(Int32(code)), "the first signal decides the exit status: \(host.err.text)")
            }
            if host.process.exitStatus == nil { host.process.signalGroup(SIGKILL) }
        }
    }

    @Test("100 MB on a plugin's stderr: the host keeps a bounded tail and its memory stays bounded")
    func stderrFloodMemory() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        workflows:
          w:
            steps:
              - {id: flood, uses: fake, with: {mode: stderr-flood, bytes: 100000000}}
              - {id: stats, uses: fake, with: {mode: host-stats}}
        """])
        let r = try await TestSupport.stephost(["run", "w", "--plugin", fake, "--json"], cwd: dir, timeout: 120)
        #expect(r.code == 0, "\(r.stderr.suffix(500))")
        let s = try summary(r)
        let peak = try #require(step(s, "stats")?["outputs"]?["hostPeakRSSKB"]?.intValue)
        #expect(peak < 100_000, "the host's peak RSS was \(peak / 1024) MiB after 100 MB of stderr")
        let log = try String(contentsOfFile: "\(dir)/.stephost/runs/\(s["id"]!.stringValue!)/logs/flood.log", encoding: .utf8)
        #expect(log.utf8.count <= StepLogFiles.limit + 200 && log.contains("log truncated"))
    }

    @Test("cancellation is never retried, even under retry.when: always")
    func cancellationNotRetried() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        workflows:
          w:
            steps:
              - {id: h, uses: fake, retry: {attempts: 3, backoff: 10ms, when: always}, with: {mode: hang}}
        """])
        let r = try await TestSupport.stephost(["run", "w", "--timeout", "1s", "--plugin", fake, "--json"], cwd: dir)
        let h = try #require(step(try summary(r), "h"))
        #expect(h["status"] == "cancelled")
        #expect(h["attempts"] == 1)
    }

    @Test("--fail-fast cancels running steps and starts only always() steps")
    func failFast() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        workflows:
          w:
            steps:
              - {id: slow, uses: fake, needs: [], with: {mode: hang}}
              - {id: bad, uses: fake, needs: [], with: {mode: fail, ms: 200}}
              - {id: next, uses: fake, needs: [bad], if: "true"}
              - {id: cleanup, uses: fake, needs: [slow, bad], if: always()}
        """])
        let r = try await TestSupport.stephost(["run", "w", "-j", "2", "--fail-fast", "--cancel-grace", "1s", "--plugin", fake, "--json"], cwd: dir)
        #expect(r.code == 1)
        let s = try summary(r)
        #expect(step(s, "slow")?["status"] == "cancelled")
        #expect(step(s, "next")?["status"] == "skipped")
        #expect(step(s, "cleanup")?["status"] == "success")
    }

    @Test("--timeout cancels the run; a step waiting out a retry backoff stops waiting")
    func runTimeoutDuringBackoff() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        workflows:
          w:
            steps:
              - {id: flaky, uses: fake, retry: {attempts: 3, backoff: 1m}, with: {mode: fail, retryable: true}}
              - {id: after, uses: fake}
        """])
        let r = try await TestSupport.stephost(["run", "w", "--timeout", "1s", "--plugin", fake, "--json"], cwd: dir, timeout: 20)
        #expect(r.code == 1, "\(r.stderr)")
        #expect(r.stderr.contains("retrying (attempt 2/3) in 1m0s"))
        let s = try summary(r)
        #expect(step(s, "flaky")?["attempts"] == 1)
        #expect(step(s, "after")?["status"] == "skipped")
    }

    @Test("capabilities.concurrency lets one process serve steps at once")
    func limits() async throws {
        let barrier = TestSupport.tempDir("b")
        let record = "\(TestSupport.tempDir("r"))/calls.txt"
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        workflows:
          concurrent:
            steps:
              - {id: a, uses: fake, needs: [], with: {mode: barrier, dir: "\(barrier)/c", count: 2, ms: 3000}}
              - {id: b, uses: fake, needs: [], with: {mode: barrier, dir: "\(barrier)/c", count: 2, ms: 3000}}
        """])
        try FileManager.default.createDirectory(atPath: "\(barrier)/c", withIntermediateDirectories: true)
        let concurrent = try await TestSupport.stephost(["run", "concurrent", "-j", "2", "--plugin", "fake=\(TestSupport.fake) --concurrency 2 --record \(record)"], cwd: dir)
        #expect(concurrent.code == 0, "\(concurrent.output)")
        let starts = try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("start") }
        #expect(starts.count == 1, "both steps ran at once on one process")
    }

    @Test("env, vars, --var and run reach expressions; step env reaches params.env")
    func contexts() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        env: {PREFIX: ghcr.io/acme, WF: "${{ run.workflow }}"}
        environments:
          dev: {vars: {TIER: development, REV: HEAD}}
          prod: {vars: {TIER: production}}
        workflows:
          w:
            env: {PREFIX: ghcr.io/override}
            steps:
              - id: a
                uses: fake
                env: {IMAGE: "${{ env.PREFIX }}/app", TIER: "${{ vars.TIER }}"}
                with: {outputs: {tier: "${{ vars.TIER }}", rev: "${{ vars.REV }}", wf: "${{ env.WF }}", runenv: "${{ run.environment }}"}}
              - {id: b, uses: fake, environment: prod, with: {outputs: {tier: "${{ vars.TIER }}"}}}
        """])
        let r = try await TestSupport.stephost(["run", "w", "--env", "dev", "--var", "REV=abc123", "--plugin", fake, "--json"], cwd: dir)
        #expect(r.code == 0, "\(r.stderr)")
        let s = try summary(r)
        let a = step(s, "a")?["outputs"]
        #expect(a?["tier"] == "development" && a?["rev"] == "abc123" && a?["wf"] == "w" && a?["runenv"] == "dev")
        #expect(a?["env"] == ["PREFIX": "ghcr.io/override", "WF": "w", "IMAGE": "ghcr.io/override/app", "TIER": "development"],
                "params.env: top-level env, the workflow's over it, then the step's")
        #expect(step(s, "b")?["outputs"]?["environment"] == "prod" && step(s, "b")?["outputs"]?["tier"] == "production")
    }

    @Test("inside GitHub Actions the event, branch, commits and labels come from GITHUB_* and the payload")
    func githubDefaults() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        workflows:
          pr:
            on: {pull_request: {branches: [main], labels: [run-acceptance]}}
            steps: [{id: a, uses: fake}]
          push:
            on: {push: {}}
            steps: [{id: b, uses: fake}]
        """, "x.txt": "1\n"])
        let base = try await TestSupport.run(["git", "rev-parse", "HEAD"], cwd: dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let head = try await TestSupport.commit(dir, ["x.txt": "2\n"])
        let payload = "\(dir)/.git/event.json"
        TestSupport.write(payload, #"{"pull_request": {"base": {"sha": "\#(base)"}, "head": {"sha": "\#(head)"}, "labels": [{"name": "run-acceptance"}]}}"#)
        let r = try await TestSupport.stephost(["run", "--plugin", fake, "--json"], cwd: dir, env: [
            "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": payload,
            "GITHUB_BASE_REF": "main", "GITHUB_HEAD_REF": "feature",
        ])
        #expect(r.code == 0, "\(r.stderr)")
        let s = try summary(r)
        #expect(s["workflows"] == ["pr"])
        let run = step(s, "a")?["outputs"]?["run"]
        #expect(run?["event"] == "pull_request" && run?["branch"] == "main" && run?["sha"] == .string(head) && run?["base"] == .string(base))
    }

    @Test("each step's log and its plugin's stderr are kept, masked, in the run record")
    func stepLogs() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        environments: {dev: {secrets: {T: env:TOKEN}}}
        workflows:
          w:
            steps:
              - {id: a, uses: exec, secrets: [T], with: {run: 'echo "hello $T"; echo "to stderr" >&2'}}
              - {id: f, uses: fake, with: {mode: fail, message: "boom"}}
        """])
        let r = try await TestSupport.stephost(["run", "w", "--env", "dev", "--plugin", fake, "--json"], cwd: dir, env: ["TOKEN": "tok-123456"])
        let id = try #require(try summary(r)["id"]?.stringValue)
        let a = try String(contentsOfFile: "\(dir)/.stephost/runs/\(id)/logs/a.log", encoding: .utf8)
        #expect(a.contains("hello ***") && a.contains("to stderr") && !a.contains("tok-123456"))
        let f = try String(contentsOfFile: "\(dir)/.stephost/runs/\(id)/logs/f.log", encoding: .utf8)
        #expect(f.contains("stderr: fake: about to fail"))
    }
}

import Foundation
import StepProtocol
import Testing

/// Steps in order and at once, retried, timed out: the built `stephost` on real manifests in temporary git repositories.
@Suite("stephost run: order, parallelism, retry, timeouts", .timeLimit(.minutes(2)))
struct RunOrderTests: EndToEndSuite {
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

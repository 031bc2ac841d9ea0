import StepManifest
import StepProtocol
import StepRun
import Testing

/// What a selection holds (the library), and `--only`'s syntax (read by the CLI).
@Suite("StepSelection and --only's syntax", .timeLimit(.minutes(1)))
struct StepSelectionTests {
    @Test("steps and instances; a whole step wins over its keys; keys add up; text writes it back")
    func selects() {
        var s = StepSelection()
        s.add("changes", .whole)
        s.add("build", .keys(["a", "b"]))
        s.add("push", .keys(["x"]))
        s.add("build", .keys(["c"]))
        s.add("push", .whole)
        #expect(s.order == ["changes", "build", "push"])
        #expect(s.contains(step: "changes") && s.contains(step: "changes", key: nil) && !s.contains(step: "deploy"))
        #expect(s.contains(step: "build", key: "a") && s.contains(step: "build", key: "c") && !s.contains(step: "build", key: "d"))
        #expect(!s.contains(step: "build", key: nil), "a step without for-each is not one of build's keys")
        #expect(s.contains(step: "push", key: "anything"), "push given whole")
        #expect(s.text == "changes,build[a,b,c],push")
    }

    @Test("--only's syntax: what it refuses, each saying why (exit 2)", arguments: [
        ("build[a", "'[' without ']'"), ("build]a", "']' without '['"), ("build[a[b]]", "'[' inside '[…]'"),
        ("a,,b", "an empty item"), ("[a]", "names no step before '['"), ("build[a,]", "has an empty key"), ("build[a]x", "goes on after ']'"),
    ])
    func refuses(text: String, why: String) async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": "workflows:\n  w:\n    steps:\n      - {id: build, uses: exec, with: {run: 'true'}}\n"])
        let r = try await TestSupport.stephost(["run", "w", "--only", text], cwd: dir)
        #expect(r.code == 2 && r.stderr.contains(why), "\(r.stderr)")
    }
}

/// Where a retry is decided: the policy, the plugin's verdict, the attempt.
@Suite("RetryDecision: whether and when a failed attempt is tried again")
struct RetryDecisionTests {
    @Test("retryable by default, unmarked only under when: always, never for invalid input or after a cancel; the wait doubles up to 5 minutes")
    func decides() throws {
        let policy = RetryPolicy(attempts: 5, backoff: try StepDuration(parsing: "2s"), when: .retryable)
        var always = policy
        always.when = .always
        #expect(RetryDecision(policy: policy, verdict: .retryable, failedAttempt: 1, cancelled: false) == .retry(afterMs: 2_000))
        #expect(RetryDecision(policy: policy, verdict: .retryable, failedAttempt: 3, cancelled: false) == .retry(afterMs: 8_000))
        #expect(RetryDecision(policy: policy, verdict: .retryable, failedAttempt: 12, cancelled: false) == .retry(afterMs: RetryDecision.maxDelayMs))
        #expect(RetryDecision(policy: always, verdict: .unmarked, failedAttempt: 1, cancelled: false) == .retry(afterMs: 2_000))
        guard case .stop(let why) = RetryDecision(policy: policy, verdict: .unmarked, failedAttempt: 1, cancelled: false) else { Issue.record("retried"); return }
        #expect(why.contains("when: always"))
        #expect(RetryDecision(policy: always, verdict: .never, failedAttempt: 1, cancelled: false) == .stop(why: "invalid input is never retried"))
        #expect(RetryDecision(policy: always, verdict: .retryable, failedAttempt: 1, cancelled: true) == .stop(why: "the run was cancelled"))
    }
}

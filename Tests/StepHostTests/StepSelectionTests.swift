import StepHost
import StepProtocol
import Testing

/// `--only SEL` read on its own: what it selects, what it refuses, how it is written back.
@Suite("StepSelection: --only's syntax")
struct StepSelectionTests {
    @Test("steps, instances and lists of keys; a whole step wins over its keys; keys add up; text writes it back")
    func selects() throws {
        let s = try StepSelection(parsing: " changes , build[a, b],push[x],build[c],push ")
        #expect(s.order == ["changes", "build", "push"])
        #expect(s.contains(step: "changes") && s.contains(step: "changes", key: nil) && !s.contains(step: "deploy"))
        #expect(s.contains(step: "build", key: "a") && s.contains(step: "build", key: "c") && !s.contains(step: "build", key: "d"))
        #expect(!s.contains(step: "build", key: nil), "a step without for-each is not one of build's keys")
        #expect(s.contains(step: "push", key: "anything"), "push given whole")
        #expect(s.text == "changes,build[a,b,c],push")
        #expect(try StepSelection(parsing: s.text) == s)
    }

    @Test("what it refuses, each saying why", arguments: [
        ("build[a", "'[' without ']'"), ("build]a", "']' without '['"), ("build[a[b]]", "'[' inside '[…]'"),
        ("a,,b", "an empty item"), ("[a]", "names no step before '['"), ("build[a,]", "has an empty key"), ("build[a]x", "goes on after ']'"),
    ])
    func refuses(text: String, why: String) {
        #expect(throws: RunError.self) { try StepSelection(parsing: text) }
        do { _ = try StepSelection(parsing: text) } catch { #expect(error.description.contains(why), "\(error)") }
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

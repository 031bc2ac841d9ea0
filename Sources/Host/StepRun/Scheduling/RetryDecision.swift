import StepManifest
/// Whether a failed attempt is tried again, and after how long: the manifest's `retry:` and what the
/// plugin said of its failure. `retryable` failures are retried by default, `unmarked` ones only under
/// `when: always`, `never` (invalid input) in no case, and nothing after the run was cancelled. The wait
/// doubles from `backoff` after each failed attempt, up to 5 minutes.
public enum RetryDecision: Equatable, Sendable {
    case retry(afterMs: Int)
    case stop(why: String)

    public static let maxDelayMs = 300_000

    public init(policy: RetryPolicy, verdict: RetryVerdict, failedAttempt attempt: Int, cancelled: Bool) {
        if cancelled { self = .stop(why: "the run was cancelled"); return }
        switch verdict {
        case .never: self = .stop(why: "invalid input is never retried")
        case .unmarked where policy.when != .always:
            self = .stop(why: "the plugin did not mark the failure retryable (retry: {when: always} retries any failure)")
        case .retryable, .unmarked:
            self = .retry(afterMs: min(min(policy.backoff.milliseconds, RetryDecision.maxDelayMs) << min(attempt - 1, 10), RetryDecision.maxDelayMs))
        }
    }
}

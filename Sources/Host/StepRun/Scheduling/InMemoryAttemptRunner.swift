import Foundation
import StepManifest
import StepProtocol

/// A `AttemptRunner` with no processes: `answer` decides each attempt. Scheduling — order, for-each,
/// pairing, conditions, retry, fail-fast, resume — runs exactly as with plugins, so tests of it
/// need no process and the scheduler's own cost can be measured (`stephost-bench`).
public struct InMemoryAttemptRunner: AttemptRunner {
    /// What an attempt ends with.
    public enum Answer: Sendable {
        case success(outputs: [String: JSONValue])
        /// `outputs`: what a plugin's error sends in `data.outputs`, readable by later steps.
        case failure(message: String, hint: String? = nil, retryable: Bool = false, outputs: [String: JSONValue] = [:])
    }

    let answer: @Sendable (StepJob, Int) async -> Answer

    /// `answer(job, attempt)` for every attempt of every step.
    public init(_ answer: @escaping @Sendable (StepJob, Int) async -> Answer) { self.answer = answer }

    public func runAttempt(_ job: StepJob, attempt: Int, base: StepOutcome, in context: AttemptContext) async -> (StepOutcome, RetryVerdict) {
        var outcome = base
        switch await answer(job, attempt) {
        case .success(let outputs):
            outcome.status = .success
            outcome.wouldRun = context.dryRun
            outcome.outputs = outputs
            return (outcome, .unmarked)
        case .failure(let message, let hint, let retryable, let outputs):
            outcome.status = .failure
            outcome.outputs = outputs
            outcome.error = message
            outcome.hint = hint
            return (outcome, retryable ? .retryable : .unmarked)
        }
    }
}

import Foundation
import StepJournal
import StepManifest
import StepMask
import StepPlugins
import StepProtocol

/// Runs one step instance: its attempts through the run's `AttemptRunner` (the
/// plugins, or an in-memory fake), retry with backoff, the resolved inputs
/// checked before each attempt. A failed step is a `StepOutcome`, never a thrown error.
struct StepExecutor: Sendable {
    let runner: AttemptRunner
    let events: RunReporter
    let control: RunControl
    let masker: Masker
    let dryRun: Bool

    /// The step's `uses` as its line shows it: a bundled step served by a descriptor from a folder (an
    /// `override:`) names that plugin and its file, so a reader never takes it for stephost's own.
    func shownUses(_ job: StepJob) -> String {
        guard case .directory = job.descriptor.origin, BundledPlugins.stepNames.contains(job.spec.uses), !BundledPlugins.isCopy(job.descriptor)
        else { return job.spec.uses }
        return "\(job.spec.uses), plugin '\(job.descriptor.name)' from \(job.descriptor.file)"
    }

    func execute(_ job: StepJob) async -> StepOutcome {
        let started = Date()
        var outcome = StepOutcome(id: job.stepID, workflow: job.workflow, uses: job.spec.uses, status: .failure, startedAt: started)
        let attempts = job.spec.retry.attempts
        // Resolved inputs are checked once, now that expressions have values (they are the same for every attempt).
        let problems = JSONSchema.validate(.object(job.inputs), schema: job.description?.inputs, path: "with",
                                           isOpaque: { dryRun && $0.isNull })
        var attempt = 0
        while true {
            attempt += 1
            outcome.attempts = attempt
            events.report(.attempt(step: job.displayID, attempt: attempt, of: attempts, uses: shownUses(job)))
            let verdict: RetryVerdict
            let attemptStarted = Date()
            (outcome, verdict) = await runAttempt(job, attempt: attempt, base: outcome, inputProblems: problems)
            outcome.attemptLog.append(AttemptTiming(number: attempt, startedAt: attemptStarted,
                                                durationMs: Int(Date().timeIntervalSince(attemptStarted) * 1000), status: outcome.status, error: outcome.error))
            guard outcome.status == .failure && attempt < attempts else { break }
            let decision = RetryDecision(policy: job.spec.retry, verdict: verdict, failedAttempt: attempt, cancelled: control.epoch != job.cancelEpoch)
            guard case .retry(let delay) = decision else {
                if case .stop(let why) = decision {
                    events.report(.log(step: job.displayID, level: .warning, message: "not retried (attempt \(attempt) of \(attempts)): \(why)",
                                             file: nil, line: nil))
                }
                break
            }
            events.report(.retrying(step: job.displayID, attempt: attempt + 1, of: attempts, delayMs: delay, error: outcome.error ?? ""))
            await control.pause(milliseconds: delay, since: job.cancelEpoch)
            if control.epoch > job.cancelEpoch { break }
        }
        outcome.durationMs = Int(Date().timeIntervalSince(started) * 1000)
        return outcome
    }

    /// One attempt, and whether its failure may be retried.
    private func runAttempt(_ job: StepJob, attempt: Int, base: StepOutcome, inputProblems problems: [JSONSchema.Problem]) async -> (StepOutcome, RetryVerdict) {
        var outcome = base
        outcome.error = nil; outcome.hint = nil; outcome.reason = nil; outcome.stderrTail = []; outcome.logTail = []
        if !problems.isEmpty {
            outcome.status = .failure
            outcome.error = "invalid inputs: " + problems.map(\.description).joined(separator: "; ")
            return (outcome, .never)
        }
        if dryRun { events.report(.inputs(step: job.displayID, inputs: .object(job.inputs))) }
        return await runner.runAttempt(job, attempt: attempt, base: outcome,
                                       in: AttemptContext(events: events, control: control, masker: masker, dryRun: dryRun))
    }
}


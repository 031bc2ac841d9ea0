import Foundation
import StepJournal
import StepManifest
import StepMask
import StepPlugins
import StepProtocol

/// What runs one attempt of a step instance. The scheduler and the executor (retry, backoff,
/// input checks, the run record) are the same whatever runs it: the plugins
/// (`PluginAttemptRunner`, the real thing) or `InMemoryAttemptRunner` (tests and benchmarks of scheduling).
public protocol AttemptRunner: Sendable {
    /// Runs attempt `attempt` of `job`; `base` is the step's outcome so far. Returns the outcome after the
    /// attempt and whether a failure may be retried.
    func runAttempt(_ job: StepJob, attempt: Int, base: StepOutcome, in context: AttemptContext) async -> (StepOutcome, RetryVerdict)
}

/// What an attempt may use of its run.
public struct AttemptContext: Sendable {
    /// Where the attempt's events go: the run's event stream (it masks each once).
    public let events: RunReporter
    public let control: RunControl
    public let masker: Masker
    public let dryRun: Bool
}

/// Whether a failed attempt may be retried: `retryable` by default, `unmarked` only under `when: always`,
/// `never` (invalid input) in no case.
public enum RetryVerdict: Sendable { case retryable, unmarked, never }

/// One step instance, ready to run: its inputs resolved, its environment and secrets known.
public struct StepJob: Sendable {
    /// The id reports show (`deploy/build[api]` in a run of several workflows).
    public var displayID: String
    /// The instance's id (`build[api]`).
    public var stepID: String
    public var workflow: String
    public var spec: StepSpec
    public var descriptor: PluginDescriptor
    public var description: StepDescription?
    public var inputs: [String: JSONValue]
    public var env: [String: String]
    public var secrets: [String: String]
    public var environment: String?
    public var run: StepRunRequest.Run
    public var tempDir: String
    /// `RunControl.epoch` when the scheduler started the step.
    public var cancelEpoch: Int
}

import StepProcess
import Foundation
import StepMask
import StepProtocol

/// Runs one step instance through its plugin: attempts, retry with backoff,
/// timeout, cancellation. A failed step is a `StepRecord`, never a thrown error.
struct StepExecutor: Sendable {
    struct Job: Sendable {
        var displayID: String
        var stepID: String
        var workflow: String
        var spec: StepSpec
        var descriptor: PluginDescriptor
        var description: StepDescription?
        var inputs: [String: JSONValue]
        var env: [String: String]
        var secrets: [String: String]
        var environment: String?
        var run: StepRunRequest.Run
        var tempDir: String
        /// `RunControl.epoch` when the scheduler started the step.
        var cancelEpoch: Int
    }

    let pool: PluginPool
    let reporter: RunReporter
    let masker: Masker
    let control: RunControl
    let record: RunRecord?
    let workspace: String
    let dryRun: Bool
    let cancelGrace: Double

    func execute(_ job: Job) async -> StepRecord {
        let started = Date()
        var rec = StepRecord(id: job.stepID, workflow: job.workflow, uses: job.spec.uses, status: .failure, startedAt: started)
        let attempts = job.spec.retry.attempts
        var attempt = 0
        while true {
            attempt += 1
            rec.attempts = attempt
            reporter.report(.stepStarted(step: job.displayID, uses: job.spec.uses, attempt: attempt, of: attempts))
            record?.append("attempt", ["step": .string(job.displayID), "attempt": .int(attempt)], sync: false)
            let verdict: RetryVerdict
            let attemptStarted = Date()
            (rec, verdict) = await runAttempt(job, attempt: attempt, base: rec)
            rec.attemptLog.append(AttemptTiming(number: attempt, startedAt: attemptStarted,
                                                durationMs: Int(Date().timeIntervalSince(attemptStarted) * 1000), status: rec.status, error: rec.error))
            guard rec.status == .failure && attempt < attempts else { break }
            let why: String? = control.epoch != job.cancelEpoch ? "the run was cancelled"
                : verdict == .never ? "invalid input is never retried"
                : verdict == .unmarked && job.spec.retry.when != .always
                    ? "the plugin did not mark the failure retryable (retry: {when: always} retries any failure)" : nil
            if let why {
                reporter.report(.stepLog(step: job.displayID, level: .warning, message: "not retried (attempt \(attempt) of \(attempts)): \(why)",
                                         file: nil, line: nil))
                break
            }
            // Doubles after each failed attempt, capped at 5 minutes.
            let delay = min(min(job.spec.retry.backoff.milliseconds, 300_000) << min(attempt - 1, 10), 300_000)
            reporter.report(.stepRetrying(step: job.displayID, attempt: attempt + 1, of: attempts, delayMs: delay, error: rec.error ?? ""))
            await control.pause(milliseconds: delay, since: job.cancelEpoch)
            if control.epoch > job.cancelEpoch { break }
        }
        rec.durationMs = Int(Date().timeIntervalSince(started) * 1000)
        return rec
    }

    /// Whether a failed attempt may be retried: `retryable` by default, `unmarked` only under `when: always`,
    /// `never` (invalid input, cancellation) in no case.
    enum RetryVerdict { case retryable, unmarked, never }

    /// One attempt, and whether its failure may be retried.
    private func runAttempt(_ job: Job, attempt: Int, base: StepRecord) async -> (StepRecord, RetryVerdict) {
        var rec = base
        rec.error = nil; rec.hint = nil; rec.reason = nil; rec.stderrTail = []; rec.logTail = []
        // Resolved inputs are checked again, now that expressions have values.
        let problems = JSONSchema.validate(.object(job.inputs), schema: job.description?.inputs, path: "with",
                                           isOpaque: { dryRun && $0.isNull })
        if !problems.isEmpty {
            rec.status = .failure
            rec.error = "invalid inputs: " + problems.map(\.description).joined(separator: "; ")
            return (rec, .never)
        }
        if dryRun { reporter.report(.stepInputs(step: job.displayID, inputs: .object(job.inputs))) }
        let conn: PluginConnection
        do { conn = try await pool.acquire(job.descriptor) } catch {
            rec.status = .failure
            rec.error = error.description
            return (rec, .unmarked)
        }
        conn.beginServing(job.displayID)
        let params = StepRunRequest(
            step: .init(id: job.stepID, uses: job.spec.uses, attempt: attempt, environment: job.environment),
            run: job.run, with: job.inputs, env: job.env, secrets: job.secrets, workspace: workspace,
            tempDir: job.tempDir, dryRun: dryRun)
        let reporter = self.reporter, masker = self.masker, display = job.displayID
        let logTail = LogTail(limit: HintRule.logLines)
        let id = conn.startRequest(StepRunRequest.method, params.json) { notice in
            switch notice {
            case .log(let n):
                logTail.add(n.message)
                reporter.report(.stepLog(step: display, level: n.level, message: n.message, file: n.file, line: n.line))
            case .progress(let n): reporter.report(.stepProgress(step: display, message: n.message, completed: n.completed, total: n.total))
            case .mask(let n):
                if masker.add(n.value) {
                    reporter.report(.mask(n.value))
                } else {
                    reporter.report(.warning("step '\(display)' asked to mask a value of 3 characters or fewer; it is not masked"))
                }
            }
        }
        let state = AttemptState()
        let grace = cancelGrace
        let teardown: @Sendable (Bool) -> Void = { immediate in
            conn.cancel(id)
            if immediate { conn.terminate(reason: "plugin process terminated"); return }
            DispatchQueue.global().asyncAfter(deadline: .now() + grace) {
                if conn.isOutstanding(id) { conn.terminate(reason: "plugin process terminated") }
            }
        }
        let timer = DispatchWorkItem {
            state.timedOut = true
            teardown(false)
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + job.spec.timeout.seconds, execute: timer)
        let token = control.register(since: job.cancelEpoch) { immediate in state.cancelled = true; teardown(immediate) }
        let reply = await conn.awaitReply(id)
        timer.cancel()
        control.unregister(token)
        if case .error = reply {
            // The plugin wrote its stderr before answering; let that pipe catch up so the tail is complete.
            try? await Task.sleep(nanoseconds: 50_000_000)
        }
        conn.endServing(job.displayID)
        // This step's own stderr lines, not the process's: two steps served by one process share its stderr.
        let tail = conn.takeStderrTail(for: job.displayID)
        let teardownLevel = conn.teardown
        await pool.release(conn)
        rec.logTail = logTail.lines

        if state.timedOut {
            rec.status = .failure
            rec.reason = "timed out"
            rec.error = "timed out after \(job.spec.timeout) (\(teardownLevel))"
            return (rec, .unmarked)
        }
        switch reply {
        case .result(let value):
            do {
                let r = try StepRunResult(json: value)
                rec.status = .success
                rec.wouldRun = dryRun
                rec.outputs = r.outputs
                rec.summary = r.summary
                rec.changed = r.changed
                return (rec, .unmarked)
            } catch {
                rec.status = .failure
                rec.error = "plugin '\(conn.name)' returned a malformed result for the step: \(error)"
                return (rec, .unmarked)
            }
        case .error(let e):
            if e.code == .requestCancelled || state.cancelled {
                rec.status = .cancelled
                rec.reason = control.reason?.text ?? "cancelled"
                if e.code != .requestCancelled { rec.error = e.message }
                return (rec, .unmarked)
            }
            rec.status = .failure
            rec.error = e.message
            rec.hint = e.hint
            if let outs = e.data?["outputs"]?.objectValue { rec.outputs = outs }
            if e.code == .invalidParams, let errs = e.data?["errors"]?.arrayValue {
                // Each error's path and message, unless the message already says it.
                let list = errs.compactMap { err -> String? in
                    guard let p = err["path"]?.stringValue, let m = err["message"]?.stringValue, !e.message.contains(m) else { return nil }
                    return "\(p): \(m)"
                }
                if !list.isEmpty { rec.error = "\(e.message): \(list.joined(separator: "; "))" }
            }
            rec.stderrTail = tail
            return (rec, e.code == .invalidParams ? .never : e.retryable ? .retryable : .unmarked)
        case .failed(let f):
            if state.cancelled {
                rec.status = .cancelled
                rec.reason = "\(control.reason?.text ?? "cancelled"); \(teardownLevel)"
                rec.error = f.message
                return (rec, .unmarked)
            }
            rec.status = .failure
            rec.error = f.message
            rec.stderrTail = tail.isEmpty ? f.stderrTail : tail
            return (rec, .unmarked)
        }
    }
}

/// The last lines a step logged, kept while notifications arrive on the connection's reader.
final class LogTail: @unchecked Sendable {
    private let lock = NSLock()
    private let limit: Int
    private var kept: [String] = []
    init(limit: Int) { self.limit = limit }
    func add(_ message: String) {
        lock.withLock {
            for line in message.split(separator: "\n", omittingEmptySubsequences: false) { kept.append(String(line)) }
            if kept.count > limit * 2 { kept.removeFirst(kept.count - limit) }
        }
    }
    var lines: [String] { lock.withLock { Array(kept.suffix(limit)) } }
}

/// Flags set by timers and signal handlers while an attempt runs.
final class AttemptState: @unchecked Sendable {
    private let lock = NSLock()
    private var _timedOut = false, _cancelled = false
    var timedOut: Bool { get { lock.withLock { _timedOut } } set { lock.withLock { _timedOut = newValue } } }
    var cancelled: Bool { get { lock.withLock { _cancelled } } set { lock.withLock { _cancelled = newValue } } }
}

import Foundation
import StepManifest
import StepPlugins
import StepProcess
import StepProtocol
#if canImport(Glibc)
import Glibc
#endif

/// Runs an attempt through the step's plugin: a process from the pool, `step/run`, its
/// notifications passed on, the step's timeout, cancellation (`$/cancel`, then the process
/// stopped after the grace period), and the answer turned into the step's outcome.
struct PluginAttemptRunner: AttemptRunner {
    /// How many values one step may ask to mask (security: the masker's work and memory stay bounded).
    static let maxMaskValues = 10_000
    let pool: PluginPool
    let workspace: String
    let cancelGrace: Double
    let folders = StepFolders()

    func runAttempt(_ job: StepJob, attempt: Int, base: StepOutcome, in context: AttemptContext) async -> (StepOutcome, RetryVerdict) {
        var outcome = base
        folders.make(job.tempDir)
        defer { folders.release(job.tempDir) }
        let conn: PluginConnection
        do { conn = try await pool.acquire(job.descriptor) } catch {
            outcome.status = .failure
            outcome.error = error.description
            return (outcome, .unmarked)
        }
        conn.beginServing(job.displayID)
        let params = StepRunRequest(
            step: .init(id: job.stepID, uses: job.spec.uses, attempt: attempt, environment: job.environment),
            run: job.run, with: job.inputs, env: job.env, secrets: job.secrets, workspace: workspace,
            tempDir: job.tempDir, dryRun: context.dryRun)
        let events = context.events, masker = context.masker, control = context.control, display = job.displayID
        // The last lines the step logged, kept while notifications arrive on the connection's reader.
        let logTail = Locked(TailBuffer(maxLines: HintRule.logLines, maxLineBytes: 4096))
        let maskCount = Locked(0)
        let id = conn.startRequest(StepRunRequest.method, params.json) { notice in
            switch notice {
            case .log(let n):
                logTail.withLock { $0.add(lines: n.message) }
                events.report(.log(step: display, level: n.level, message: n.message, file: n.file, line: n.line))
            case .progress(let n): events.report(.progress(step: display, message: n.message, completed: n.completed, total: n.total))
            case .mask(let n):
                // A bound on what a plugin can make the host hold and match: past it the plugin broke the protocol.
                guard maskCount.increment() <= PluginAttemptRunner.maxMaskValues else {
                    conn.violation("more than \(PluginAttemptRunner.maxMaskValues) mask values in one step", line: nil)
                    return
                }
                if masker.add(n.value) {
                    events.report(.mask(n.value))
                } else {
                    events.report(.warning("step '\(display)' asked to mask a value of 3 characters or fewer; it is not masked"))
                }
            }
        }
        let state = Locked(AttemptFlags())
        let grace = cancelGrace
        let teardown: @Sendable (Bool) -> Void = { immediate in
            conn.cancel(id)
            if immediate { conn.terminate(reason: "plugin process terminated"); return }
            DispatchQueue.global().asyncAfter(deadline: .now() + grace) {
                if conn.isOutstanding(id) { conn.terminate(reason: "plugin process terminated") }
            }
        }
        // An answer that came before the deadline stands, even when this task resumes after it (a loaded machine).
        let timer = DispatchWorkItem {
            guard conn.isOutstanding(id) else { return }
            state.withLock { $0.timedOut = true }
            teardown(false)
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + job.spec.timeout.seconds, execute: timer)
        let token = control.register(since: job.cancelEpoch) { immediate in state.withLock { $0.cancelled = true }; teardown(immediate) }
        let reply = await conn.awaitReply(id)
        timer.cancel()
        control.unregister(token)
        conn.endServing(job.displayID)
        // This step's own stderr lines, not the process's: two steps served by one process share its stderr.
        let tail = conn.takeStderrTail(for: job.displayID)
        let teardownLevel = conn.teardown
        await pool.release(conn)
        outcome.logTail = logTail.current.lastLines

        if state.current.timedOut {
            outcome.status = .failure
            outcome.reason = "timed out"
            outcome.error = "timed out after \(job.spec.timeout) (\(teardownLevel))"
            return (outcome, .unmarked)
        }
        switch reply {
        case .result(let value):
            do {
                let r = try StepRunResult(json: value)
                outcome.status = .success
                outcome.wouldRun = context.dryRun
                outcome.outputs = r.outputs
                outcome.summary = r.summary
                outcome.changed = r.changed
                return (outcome, .unmarked)
            } catch {
                outcome.status = .failure
                outcome.error = "plugin '\(conn.name)' returned a malformed result for the step: \(error)"
                return (outcome, .unmarked)
            }
        case .error(let e):
            if e.code == .requestCancelled || state.current.cancelled {
                outcome.status = .cancelled
                outcome.reason = control.reason?.text ?? "cancelled"
                if e.code != .requestCancelled { outcome.error = e.message }
                return (outcome, .unmarked)
            }
            outcome.status = .failure
            outcome.error = e.message
            outcome.hint = e.hint
            if let outs = e.data?["outputs"]?.objectValue { outcome.outputs = outs }
            if e.code == .invalidParams, let errs = e.data?["errors"]?.arrayValue {
                // Each error's path and message, unless the message already says it.
                let list = errs.compactMap { err -> String? in
                    guard let p = err["path"]?.stringValue, let m = err["message"]?.stringValue, !e.message.contains(m) else { return nil }
                    return "\(p): \(m)"
                }
                if !list.isEmpty { outcome.error = "\(e.message): \(list.joined(separator: "; "))" }
            }
            outcome.stderrTail = tail
            return (outcome, e.code == .invalidParams ? .never : e.retryable ? .retryable : .unmarked)
        case .failed(let f):
            if state.current.cancelled {
                outcome.status = .cancelled
                outcome.reason = "\(control.reason?.text ?? "cancelled"); \(teardownLevel)"
                outcome.error = f.message
                return (outcome, .unmarked)
            }
            outcome.status = .failure
            outcome.error = f.message
            outcome.stderrTail = tail.isEmpty ? f.stderrTail : tail
            return (outcome, .unmarked)
        }
    }

}

/// Each step's folder (`params.tempDir`). Creating a directory is the dearest thing a no-op step
/// does: ext4 looks through recently deleted inodes for every new one, and a run's folders are all
/// deleted at its end. So a folder its step left empty is kept and renamed for the next step
/// (a rename allocates no inode); a run of a thousand steps at -j2 creates a handful.
final class StepFolders: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [String] = []

    /// Makes `path` exist and be empty: a free folder renamed, else a new one.
    func make(_ path: String) {
        if let spare = lock.withLock({ free.popLast() }), rename(spare, path) == 0 { return }
        StepFolders.makeDirectory(path)
    }

    /// Keeps the folder for another step when its step left nothing in it.
    func release(_ path: String) {
        guard StepFolders.isEmpty(path) else { return }
        lock.withLock { free.append(path) }
    }

    static func isEmpty(_ path: String) -> Bool {
        guard let d = opendir(path) else { return false }
        defer { closedir(d) }
        while let e = readdir(d) {
            // "." and "..", read in place.
            let dots = withUnsafeBytes(of: e.pointee.d_name) { n in
                n[0] == 46 && (n[1] == 0 || (n[1] == 46 && n[2] == 0))
            }
            if !dots { return false }
        }
        return true
    }

    /// `mkdir -p` with system calls.
    static func makeDirectory(_ path: String) {
        if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
        guard errno == ENOENT, path.count > 1 else { return }
        makeDirectory((path as NSString).deletingLastPathComponent)
        _ = mkdir(path, 0o755)
    }
}

/// What timers and signal handlers found while an attempt ran.
struct AttemptFlags {
    var timedOut = false
    var cancelled = false
}

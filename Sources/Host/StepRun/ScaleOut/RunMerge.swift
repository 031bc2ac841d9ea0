import Foundation
import StepJournal
import StepManifest
import StepProtocol

/// `stephost runs merge`: one record from the records of a run's pieces (the legs of a CI
/// matrix, a prepare job), so that `run --resume` of it runs what is left.
///
/// Its steps are the union of the sources' finished steps: a success wins over a failure,
/// cancellation or skip of the same step; the same step succeeding in two sources with
/// different fingerprints or outputs is a conflict, and nothing is written.
public enum RunMerge {
    /// Writes the merged record into `history` and returns its id.
    public static func merge(_ sources: [RunJournal], into history: RunHistory, id: String? = nil) throws(RunError) -> String {
        guard let first = sources.first else { throw .usage("runs merge needs at least one run (an id, 'last', or a record folder)") }
        var seen = Set<String>()
        for s in sources where !seen.insert(s.id).inserted { throw .usage("runs merge: run \(s.id) is given twice") }
        for s in sources {
            if s.dryRun { throw .usage("runs merge: run \(s.id) was a dry run; it has nothing to merge") }
            if s.state == .running { throw .usage("runs merge: run \(s.id) is still running") }
            if s.manifestPath != first.manifestPath {
                throw .usage("runs merge: run \(first.id) ran \(first.manifestPath ?? "?") but run \(s.id) ran \(s.manifestPath ?? "?")")
            }
            if let a = first.sha, let b = s.sha, !a.isEmpty, !b.isEmpty, a != b {
                throw .usage("runs merge: run \(first.id) was made at commit \(a) but run \(s.id) at \(b)")
            }
            if s.environment != first.environment {
                throw .usage("runs merge: run \(first.id) ran in environment '\(first.environment ?? "none")' but run \(s.id) in '\(s.environment ?? "none")'")
            }
            if s.vars != first.vars { throw .usage("runs merge: runs \(first.id) and \(s.id) were given different --var values") }
        }
        let newID = id ?? RunHistory.newID()
        guard !newID.isEmpty, !newID.contains("/"), !newID.hasPrefix(".") else { throw .usage("runs merge --id \(newID): not a run id (no '/', not starting with '.')") }
        if FileManager.default.fileExists(atPath: "\(history.directory)/\(newID)") {
            throw .usage("runs merge --id \(newID): \(history.directory)/\(newID) exists already")
        }

        // Each step once: the first success, else the first failure, cancellation, then skip.
        var chosen: [String: (step: RunJournal.Step, source: String)] = [:]
        var order: [String] = []
        // A skip for a reason beats "not selected": the piece that owned the step decided it.
        func rank(_ r: StepOutcome) -> Int {
            r.reason == StepSelection.notSelected ? 0 : [.success: 4, .failure: 3, .cancelled: 2, .skipped: 1][r.status] ?? 0
        }
        for source in sources {
            for var step in source.steps {
                let key = "\(step.outcome.workflow)/\(step.outcome.id)"
                if step.outcome.ranIn == nil && step.outcome.status != .skipped { step.outcome.ranIn = source.id }
                guard let (had, from) = chosen[key] else { chosen[key] = (step, source.id); order.append(key); continue }
                if had.outcome.status == .success && step.outcome.status == .success {
                    if had.fingerprint != step.fingerprint {
                        throw .usage("runs merge: step '\(step.outcome.id)' succeeded in run \(from) and in run \(source.id) from different definitions; merge records of one commit and manifest")
                    }
                    if had.outcome.outputs != step.outcome.outputs {
                        throw .usage("runs merge: step '\(step.outcome.id)' succeeded in run \(from) and in run \(source.id) with different outputs (\(JSONValue.object(had.outcome.outputs).encoded().prefix(120)) and \(JSONValue.object(step.outcome.outputs).encoded().prefix(120)))")
                    }
                    continue
                }
                if rank(step.outcome) > rank(had.outcome) { chosen[key] = (step, source.id) }
            }
        }

        let writer: RunJournalWriter
        do { writer = try RunJournalWriter(workspace: history.workspace, runID: newID) } catch { throw .journal(error) }
        let workflows = sources.flatMap(\.workflows).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let started = sources.compactMap(\.startedAt).min() ?? Date()
        var runStarted = RunEvent.RunStarted(id: newID, workflows: workflows)
        runStarted.manifestPath = first.manifestPath
        runStarted.environment = first.environment
        runStarted.vars = first.vars
        runStarted.host = RunJournal.hostName
        runStarted.resumedFrom = sources.map(\.id)
        runStarted.merged = true
        runStarted.sha = first.sha
        writer.write(.runStarted(runStarted))
        var steps: [StepOutcome] = []
        for key in order {
            guard let step = chosen[key]?.step else { continue }
            writer.write(.stepFinished(.init(outcome: step.outcome, spec: step.spec, fingerprint: step.fingerprint, outputsMasked: step.outputsMasked)))
            steps.append(step.outcome)
        }
        let end = sources.compactMap(\.lastEventAt).max() ?? started
        let durationMs = Int((end.timeIntervalSince(started) * 1000).rounded())
        var summary = RunSummary(id: newID, workflows: workflows, skippedWorkflows: [], environment: first.environment, exitCode: RunSummary.exitCode(of: steps),
                                 steps: steps, startedAt: started, durationMs: durationMs, dryRun: false)
        summary.mergedFrom = sources.map(\.id)
        // Every record it reads was masked when written.
        if let problem = writer.write(.runFinished(.init(summary)), sync: true).first {
            throw .journal(.io(path: writer.directory, reason: "runs merge \(problem)"))
        }
        return newID
    }
}

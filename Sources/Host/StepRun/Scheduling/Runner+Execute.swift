import Foundation
import StepJournal
import StepManifest
import StepMask
import StepProtocol

extension Runner {
    /// Runs a prepared run to its end, shuts every plugin down and writes the record.
    /// `events`: a file descriptor that also gets every event of the run as it happens (`--events`).
    public static func execute(_ p: PreparedRun, reporter: RunReporter, control: RunControl = RunControl(),
                               writeRecord: Bool = true, events: Int32? = nil) async -> RunSummary {
        let started = Date()
        var journal: RunJournalWriter?
        if writeRecord {
            do {
                journal = try RunJournalWriter(workspace: p.workspace, runID: p.runID,
                                               signingSecret: p.request.hostEnvironment[RecordSignature.variable])
            } catch {
                RunEventStream(masker: p.masker, journal: nil, next: reporter).report(.warning("no run record: \(error)"))
            }
        }
        if let events { journal?.streamEvents(to: events) }
        let stream = RunEventStream(masker: p.masker, journal: journal, next: reporter)
        p.relay.retarget(stream)
        // A CI system masks these too, so they go first: before anything they could appear in is printed.
        for value in Set(p.stepSecrets.values.flatMap(\.values)).sorted() where value.count >= Masker.minimumLength {
            stream.report(.mask(value))
        }
        let names = p.workflows.map(\.spec.name)
        var runStarted = RunEvent.RunStarted(id: p.runID, workflows: names)
        runStarted.manifestPath = Runner.manifestInWorkspace(p.request, workspace: p.workspace)
        // Information only: a record is portable (copied into another checkout it resumes there).
        runStarted.workspace = p.workspace
        runStarted.host = RunJournal.hostName
        runStarted.only = p.selection?.text
        runStarted.environment = p.request.environment
        runStarted.event = p.context.event
        runStarted.branch = p.context.branch
        runStarted.sha = p.context.sha
        runStarted.dryRun = p.request.dryRun
        runStarted.pid = Int(getpid())
        runStarted.vars = p.request.vars
        runStarted.resumedFrom = p.resumedFrom.map { [$0] } ?? []
        stream.send(.runStarted(runStarted), sync: true)
        for (name, why) in p.skippedWorkflows { stream.report(.workflowSkipped(name: name, reason: why)) }

        let timer = p.request.runTimeout.map { seconds in
            let w = DispatchWorkItem { control.cancel(.runTimeout) }
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: w)
            return w
        }
        let scheduler = Scheduler(run: p, events: stream, control: control)
        let steps = await scheduler.runAll()
        timer?.cancel()
        await p.pool.shutdownAll()
        try? FileManager.default.removeItem(atPath: "\(p.workspace)/.stephost/tmp/\(p.runID)")

        let exitCode: Int32
        switch control.reason {
        case .interrupted(let sig)?: exitCode = 128 + sig
        default:
            exitCode = RunSummary.exitCode(of: steps)
        }
        var summary = RunSummary(id: p.runID, workflows: names, skippedWorkflows: p.skippedWorkflows, environment: p.request.environment,
                                 exitCode: exitCode, steps: steps, startedAt: started,
                                 durationMs: Int(Date().timeIntervalSince(started) * 1000), dryRun: p.request.dryRun,
                                 resumedFrom: p.resumedFrom)
        summary.trusted = p.context.trusted
        stream.send(.runFinished(.init(summary)), sync: true)
        return summary
    }
}

import Foundation
import StepJournal
import StepManifest
import StepProtocol

extension Runner {
    /// The run `--resume` names, with the request completed from it: the same
    /// workflows, environment and `--var`s unless the command line gives them.
    static func resumable(_ ref: String, workspace: String, request: inout RunRequest) throws(RunError) -> RunJournal {
        let history = RunHistory(workspace: workspace)
        var p: RunJournal
        do { p = try history.find(ref) } catch { throw .journal(error) }
        p.inheritSuccesses(from: history)
        if p.dryRun { throw .usage("--resume: run \(p.id) was a dry run; there is nothing to reuse") }
        if p.state == .running { throw .usage("--resume: run \(p.id) is still running (host pid \(p.hostPID ?? 0))") }
        if let used = p.manifestPath, used != manifestInWorkspace(request, workspace: workspace) {
            throw .usage("--resume: run \(p.id) ran the manifest \(used), not \(manifestInWorkspace(request, workspace: workspace)); resume it with -f \(used.hasPrefix("/") ? used : "\(workspace)/\(used)")")
        }
        if let w = request.workflow, !p.workflows.contains(w) {
            throw .usage("--resume: run \(p.id) ran \(p.workflows.map { "'\($0)'" }.joined(separator: ", ")), not '\(w)'")
        }
        if let e = request.environment, e != p.environment {
            throw .usage("--resume: run \(p.id) ran in environment '\(p.environment ?? "none")', not '\(e)'")
        }
        request.environment = p.environment
        if request.vars.isEmpty { request.vars = p.vars }
        return p
    }

    /// Every step's fingerprint; the parts shared by many steps are hashed once.
    static func fingerprints(_ p: Setup, _ d: Decisions) -> [String: StepFingerprint] {
        var shared: [String: [String: String]] = [:]
        var out: [String: StepFingerprint] = [:]
        for (wf, _) in p.graphs {
            for s in wf.steps {
                let env = p.contexts.environment(ofStep: "\(wf.name)/\(s.id)", own: d.stepEnvironments)
                let key = "\(wf.name)\u{0}\(env ?? "")"
                let context = shared[key] ?? StepFingerprint.contextParts(workflow: wf, manifest: p.manifest, environment: env,
                                                                          vars: p.contexts.vars(for: env))
                shared[key] = context
                out["\(wf.name)/\(s.id)"] = StepFingerprint(step: s, context: context)
            }
        }
        return out
    }

    /// Which steps of the resumed run are reused: those that succeeded, whose
    /// definition is unchanged and whose outputs held no secret. A changed
    /// definition stops the run before anything starts, saying what changed.
    static func planReuse(_ previous: RunJournal, _ d: inout Decisions, reporter: RunReporter) throws(RunError) {
        d.resumedFrom = previous.id
        var changed: [String] = []
        for s in previous.steps where s.outcome.status == .success {
            guard let spec = s.spec, let now = d.fingerprints[spec] else { continue }
            guard let then = s.fingerprint else { continue }
            if then != now {
                changed.append("step '\(s.outcome.id)' changed since run \(previous.id): \(now.changes(since: then))")
                continue
            }
            if s.outputsMasked {
                reporter.report(.warning("step '\(s.outcome.id)' runs again: its recorded outputs held a secret and were masked"))
                continue
            }
            d.reusable["\(s.outcome.workflow)/\(s.outcome.localID)"] = s.outcome
        }
        if !changed.isEmpty {
            throw .usage((changed + ["a step is reused only when its definition is unchanged; run without --resume to start over"])
                .joined(separator: "\n"))
        }
    }
}

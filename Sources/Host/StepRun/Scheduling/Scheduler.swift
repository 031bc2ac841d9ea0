import Foundation
import StepJournal
import StepManifest
import StepProtocol

/// Runs the steps of the prepared workflows in dependency order, up to `-j`
/// at once. for-each steps become one instance per item, expanded when what
/// they need has finished (or, for a paired for-each, has been expanded).
final class Scheduler {
    let run: PreparedRun
    /// Where the run's events go (masked, journaled, reported).
    let events: RunEventStream
    let control: RunControl
    let executor: StepExecutor
    let multiWorkflow: Bool
    let workflowIndex: [String: Int]
    /// Every step, in an order where each comes after what it needs.
    var specs: [Spec] = []
    /// Per workflow, its steps by index.
    var byWorkflow: [String: [Spec]] = [:]
    /// Steps to look at again: what they wait for has changed.
    var dirty: [Spec] = []
    var isDirty = Set<ObjectIdentifier>()
    /// Instances cleared to run, in the order they became ready.
    var runnable = ReadyQueue()
    /// Steps whose end is in the journal but maybe not yet on disk.
    var unsynced = Set<ObjectIdentifier>()
    /// The steps that failed so far, masked: `run.failures` of the steps that start after them.
    var failures: [JSONValue] = []
    /// `env`, `vars` and `run` contexts, built once.
    var constants = ContextConstants()

    init(run: PreparedRun, events: RunEventStream, control: RunControl) {
        self.run = run
        self.events = events
        self.control = control
        multiWorkflow = run.workflows.count > 1
        workflowIndex = Dictionary(uniqueKeysWithValues: run.workflows.enumerated().map { ($1.spec.name, $0) })
        executor = StepExecutor(runner: run.runner, events: events, control: control, masker: run.masker,
                                dryRun: run.request.dryRun)
        for (wf, graph) in run.workflows {
            let flow = Flow(wf, graph)
            let local = wf.steps.indices.map { Spec(flow, index: $0) }
            byWorkflow[wf.name] = local
            for (k, s) in local.enumerated() {
                s.deps = graph.dependencies[k].map { local[$0] }
                for d in s.deps { d.dependants.append(s) }
                s.paired = s.deps.map { d in
                    guard let a = s.step.forEachSource, let b = d.step.forEachSource else { return false }
                    return a == b
                }
            }
            // Topological order: every step comes after what it needs.
            specs.append(contentsOf: graph.order.map { local[$0] })
        }
        for s in specs { markDirty(s) }
    }

    func markDirty(_ s: Spec) {
        if isDirty.insert(ObjectIdentifier(s)).inserted { dirty.append(s) }
    }

    func markDependantsDirty(_ s: Spec) {
        for d in s.dependants { markDirty(d) }
    }

    func display(_ spec: Spec, _ id: String) -> String { multiWorkflow ? "\(spec.workflow.name)/\(id)" : id }

    /// Runs everything; returns the outcomes in manifest order.
    func runAll() async -> [StepOutcome] {
        let jobs = max(1, run.request.jobs)
        await withTaskGroup(of: (Int, StepOutcome).self) { group in
            var running = 0
            var inflight: [Int: Instance] = [:]
            var nextToken = 0
            while true {
                advance()
                // An instance whose step is at its max-parallel stays in the queue for a later pass.
                while running < jobs, let inst = runnable.take(where: { i in i.spec.step.maxParallel.map { i.spec.running < $0 } ?? true }) {
                    if blockedByCancellation(inst.spec) {
                        finish(inst, StepOutcome(id: inst.id, workflow: inst.spec.workflow.name, uses: inst.spec.step.uses, status: .skipped,
                                                reason: control.reason?.text ?? "cancelled"))
                        continue
                    }
                    if run.reusable["\(inst.spec.workflow.name)/\(inst.id)"] != nil {
                        if reuse(inst) { continue }
                        events.report(.log(step: display(inst.spec, inst.id), level: .info,
                                                 message: "runs again although it succeeded in run \(run.resumedFrom ?? "?"): a step it needs ran again",
                                                 file: nil, line: nil))
                    }
                    guard let job = prepareJob(inst) else { continue }
                    if !unsynced.isEmpty && inst.spec.deps.contains(where: { unsynced.contains(ObjectIdentifier($0)) }) {
                        events.sync()
                        unsynced = []
                    }
                    inst.started = true
                    inst.spec.running += 1
                    running += 1
                    events.report(.stepStarted(step: job.displayID, uses: inst.spec.step.uses))
                    let exec = executor
                    let token = nextToken
                    nextToken += 1
                    inflight[token] = inst
                    group.addTask { (token, await exec.execute(job)) }
                }
                if running == 0 {
                    if specs.allSatisfy(\.finished) { break }
                    if !runnable.isEmpty || !dirty.isEmpty { continue }
                    // Nothing runs and nothing can start: what is left can never run.
                    for s in specs where !s.finished {
                        if !s.expanded { finishSpec(s, .skipped, reason: "needs skipped") }
                        for i in s.instances where i.outcome == nil { finish(i, StepOutcome(id: i.id, workflow: s.workflow.name, uses: s.step.uses, status: .skipped, reason: "needs skipped")) }
                    }
                    continue
                }
                // What happened so far reaches the file before the scheduler waits (a kill loses nothing before it).
                events.flush()
                guard let (token, outcome) = await group.next(), let inst = inflight.removeValue(forKey: token) else { break }
                running -= 1
                inst.spec.running -= 1
                finish(inst, outcome)
                if run.request.failFast && outcome.status == .failure && !outcome.continuedOnError && !control.isCancelled {
                    control.cancel(.failFast)
                }
            }
        }
        // Manifest order, for the summary.
        let ordered = specs.enumerated().sorted { a, b in
            (workflowIndex[a.element.workflow.name] ?? 0, a.element.index) < (workflowIndex[b.element.workflow.name] ?? 0, b.element.index)
        }.map(\.element)
        // Sized once: the outcomes of a large run are its largest part, and a grown array holds twice the room.
        var outcomes: [StepOutcome] = []
        outcomes.reserveCapacity(ordered.reduce(0) { $0 + ($1.outcome == nil ? $1.instances.count : 1) })
        for s in ordered {
            if let o = s.outcome { outcomes.append(o) } else { outcomes += s.instances.compactMap(\.outcome) }
        }
        return outcomes
    }

    /// Ends an instance with its success in the resumed run, when it has one and nothing it needs ran again here.
    func reuse(_ i: Instance) -> Bool {
        guard var reused = run.reusable["\(i.spec.workflow.name)/\(i.id)"], needsUnchanged(i.spec, i) else { return false }
        reused.id = i.id
        reused.reason = "reused from run \(run.resumedFrom ?? "?")"
        reused.ranIn = reused.ranIn ?? run.resumedFrom
        finish(i, reused, reused: true)
        return true
    }

    /// An instance `--only`/`--until` did not select: reused from the resumed run, else skipped (not selected),
    /// which is never a failure (a failure elsewhere is that piece's to report).
    func finishUnselected(_ i: Instance) {
        if reuse(i) { return }
        finish(i, StepOutcome(id: i.id, workflow: i.spec.workflow.name, uses: i.spec.step.uses, status: .skipped, reason: StepSelection.notSelected))
    }

    func prepareJob(_ i: Instance) -> StepJob? {
        let s = i.spec
        let ctx = s.needsContext ? context(for: s, instance: i) : nil
        let desc = run.descriptions[s.step.uses]
        let inputs: [String: JSONValue]
        var env = run.envContexts[s.workflow.name] ?? [:]
        do {
            inputs = try InputResolver.resolve(s.step.inputs, schema: desc?.inputs, context: ctx)
            if var stepCtx = ctx {
                for e in s.step.env {
                    stepCtx.contexts["env"] = .object(env.mapValues(JSONValue.string))
                    env[e.name] = Template.text(of: try e.value.evaluate(stepCtx))
                }
            }
        } catch {
            finish(i, StepOutcome(id: i.id, workflow: s.workflow.name, uses: s.step.uses, status: .failure, error: error.message))
            return nil
        }
        let envName = run.environment(ofStep: s.key)
        // The runner creates it when it needs it (an in-memory runner does not).
        // A for-each key comes from data (a directory's name, an output): encoded, it never leaves the run's folder.
        let tempDir = "\(run.workspace)/.stephost/tmp/\(run.runID)/\(multiWorkflow ? "\(PathComponent.encode(s.workflow.name))/" : "")\(PathComponent.encode(i.id))"
        return StepJob(
            displayID: display(s, i.id), stepID: i.id, workflow: s.workflow.name, spec: s.step,
            descriptor: run.plugins[s.step.uses]!, description: desc, inputs: inputs, env: env,
            secrets: run.secrets(ofStep: s.key), environment: envName,
            run: run.runInfo(workflow: s.workflow.name, failures: failures), tempDir: tempDir, cancelEpoch: control.epoch)
    }

    // MARK: - Finishing

    /// Whether nothing this step (or instance) needs ran in this run: each need
    /// was reused, or skipped on the strength of needs that were. `--resume`
    /// reuses a step only then, as `make` rebuilds what depends on a rebuilt target.
    func needsUnchanged(_ s: Spec, _ i: Instance?) -> Bool {
        for (d, paired) in zip(s.deps, s.paired) {
            if d.outcome != nil {
                if !d.unchangedWhole { return false }
            } else if paired, let i, let namesake = i.namesakes.first(where: { $0.spec === d }) {
                if !namesake.unchanged { return false }
            } else if !d.instances.allSatisfy(\.unchanged) {
                return false
            }
        }
        return true
    }

    func finishSpec(_ s: Spec, _ status: StepStatus, reason: String? = nil, error: String? = nil) {
        var r = StepOutcome(id: s.step.id, workflow: s.workflow.name, uses: s.step.uses, status: status, reason: reason, error: error)
        if status == .failure && s.step.continueOnError { r.continuedOnError = true }
        r = completed(r, of: s)
        s.unchangedWhole = status == .skipped && needsUnchanged(s, nil)
        s.outcome = r
        s.expanded = true
        markDependantsDirty(s)
        publish(r, of: s, display: display(s, s.step.id))
    }

    func finish(_ i: Instance, _ r: StepOutcome, reused: Bool = false) {
        var r = r
        if r.status == .failure && i.spec.step.continueOnError { r.continuedOnError = true }
        if !reused && i.started { r.ranIn = run.runID }
        r = completed(r, of: i.spec)
        i.unchanged = reused || (r.status == .skipped && !i.started && needsUnchanged(i.spec, i))
        i.outcome = r
        markDependantsDirty(i.spec)
        publish(r, of: i.spec, display: display(i.spec, i.id))
    }

    /// A finished step's kind, and with a failure its hints; the failure joins `run.failures`.
    private func completed(_ r: StepOutcome, of spec: Spec) -> StepOutcome {
        var r = r
        r.kind = run.kind(of: spec.step)
        guard r.status == .failure else { return r }
        r.hints = HintRule.hints(for: r, from: run.manifest.hints)
        let m = run.masker
        failures.append(.compactObject([
            "workflow": .string(spec.workflow.name), "step": .string(r.id), "error": .string(m.mask(r.error ?? r.reason ?? "failed")),
            "hint": r.hints.first.map { .string(m.mask($0)) } ?? .null, "hints": .array(r.hints.map { .string(m.mask($0)) }),
            "attempts": .int(r.attempts), "continueOnError": r.continuedOnError ? .bool(true) : nil,
        ]))
        return r
    }

    private func publish(_ r: StepOutcome, of spec: Spec, display: String) {
        var shown = r
        shown.id = display
        events.report(.stepFinished(.init(outcome: shown, spec: spec.key, fingerprint: run.fingerprints[spec.key])))
        unsynced.insert(ObjectIdentifier(spec))
    }
}

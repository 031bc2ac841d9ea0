import Foundation
import StepManifest
import StepProtocol

/// Expanding steps, deciding whether an instance runs, and building expression contexts.
extension Scheduler {
    /// Expands the steps whose prerequisites are met, and decides each ready
    /// instance once: skipped, failed, or cleared to run.
    func advance() {
        while !dirty.isEmpty {
            let batch = dirty
            dirty = []
            isDirty = []
            for s in batch {
                if !s.expanded && s.outcome == nil {
                    let ready = zip(s.deps, s.paired).allSatisfy { d, paired in paired ? (d.expanded || d.finished) : d.finished }
                    guard ready else { continue }
                    expand(s)
                    markDependantsDirty(s)
                }
                guard s.expanded else { continue }
                for i in s.instances where !i.started && !i.cleared && i.outcome == nil && isReady(i) {
                    if let selection = run.selection, !selection.contains(step: s.step.id, key: i.key) { finishUnselected(i); continue }
                    if let skip = decideInstance(i) { finish(i, skip) } else { i.cleared = true; runnable.append(i) }
                }
            }
        }
    }

    func isReady(_ i: Instance) -> Bool { i.namesakes.allSatisfy { $0.outcome != nil } && i.whole.allSatisfy(\.finished) }

    /// Whether the run was cancelled and this step may still start (its `if` asks for it).
    func blockedByCancellation(_ s: Spec) -> Bool {
        guard control.isCancelled else { return false }
        var asks = false
        s.step.condition?.visit { if case .call(let n, _) = $0, ["always", "failure", "cancelled"].contains(n) { asks = true } }
        return !asks
    }

    /// Why a step whose needs did not all succeed is skipped.
    func needsReason(_ deps: [Spec]) -> String {
        if deps.contains(where: \.failed) { return "needs failed" }
        if deps.contains(where: { $0.status == .cancelled }) { return "needs cancelled" }
        return "needs skipped"
    }

    func expand(_ s: Spec) {
        s.expanded = true
        if blockedByCancellation(s) { return finishSpec(s, .skipped, reason: control.reason?.text ?? "cancelled") }
        // A step --only/--until left out never fails and is not skipped for its needs: it was not selected.
        let selected = run.selection?.contains(step: s.step.id) ?? true
        func end(_ s: Spec, _ status: StepStatus, reason: String? = nil, error: String? = nil) {
            if selected || reason == "nothing to do" { self.finishSpec(s, status, reason: reason, error: error) }
            else { self.finishSpec(s, .skipped, reason: StepSelection.notSelected) }
        }
        // A paired step that ended as a whole (skipped, or its for-each failed) is checked like any other need.
        let unpaired = zip(s.deps, s.paired).filter { !$0.1 || $0.0.outcome != nil }.map(\.0)
        let usesStatus = s.step.condition?.callsStatusFunction ?? false
        if !usesStatus && !unpaired.allSatisfy(\.countsAsSuccess) {
            return end(s, .skipped, reason: needsReason(unpaired.filter { !$0.countsAsSuccess }))
        }
        // An untrusted run (a fork's pull request) starts nothing that holds a secret; what needs it is skipped as after any skip.
        if let why = run.withheld["\(s.workflow.name)/\(s.step.id)"] { return end(s, .skipped, reason: why) }
        guard let forEach = s.step.forEach else {
            s.instances = [Instance(spec: s, id: s.step.id, key: nil, item: nil)]
            return
        }
        let value: JSONValue
        do { value = try forEach.evaluate(context(for: s, instance: nil)) } catch {
            return end(s, .failure, error: "for-each: \(error.message)")
        }
        if value.isNull && run.request.dryRun {
            return end(s, .skipped, reason: "for-each list unknown in a dry run")
        }
        guard case .array(let items) = value else {
            return end(s, .failure, error: "for-each must yield a list, got \(value.typeName) \(value.encoded().prefix(80))")
        }
        if items.isEmpty { return end(s, .skipped, reason: "nothing to do") }
        let keys = ForEachKeys.of(items)
        if let problem = ForEachKeys.problem(keys) { return end(s, .failure, error: problem) }
        s.instances = zip(keys, items).map { Instance(spec: s, id: "\(s.step.id)[\($0)]", key: $0, item: $1) }
        for i in s.instances {
            for (d, paired) in zip(s.deps, s.paired) where paired && d.outcome == nil {
                if let n = d.instances.first(where: { $0.key == i.key }) { i.namesakes.append(n) } else { i.whole.append(d) }
            }
        }
    }

    /// nil when the instance should run; else the outcome of its skip or failure.
    func decideInstance(_ i: Instance) -> StepOutcome? {
        let s = i.spec
        func outcome(_ status: StepStatus, reason: String? = nil, error: String? = nil) -> StepOutcome {
            StepOutcome(id: i.id, workflow: s.workflow.name, uses: s.step.uses, status: status, reason: reason, error: error)
        }
        if blockedByCancellation(s) { return outcome(.skipped, reason: control.reason?.text ?? "cancelled") }
        let usesStatus = s.step.condition?.callsStatusFunction ?? false
        let namesakeOutcomes = i.namesakes.compactMap(\.outcome)
        if !usesStatus && (!namesakeOutcomes.allSatisfy(\.countsAsSuccess) || !i.whole.allSatisfy(\.countsAsSuccess)) {
            let failed = namesakeOutcomes.contains { $0.status == .failure } || i.whole.contains(where: \.failed)
            return outcome(.skipped, reason: failed ? "needs failed" : "needs skipped")
        }
        if s.step.condition == nil {
            // No `if`: success() alone, decided without building a context.
            if !directSuccess(s, i) { return outcome(.skipped, reason: "if was false") }
        } else {
            do {
                if !(try s.step.effectiveCondition.evaluate(context(for: s, instance: i))).isTruthy { return outcome(.skipped, reason: "if was false") }
            } catch { return outcome(.failure, error: "if: \(error.message)") }
        }
        if run.request.dryRun && !(run.capabilities[s.step.uses]?.dryRun ?? false) {
            return outcome(.skipped, reason: "no dry run")
        }
        return nil
    }

    /// `success()`: every direct need (or, when paired, its namesake instance) counts as a success.
    func directSuccess(_ s: Spec, _ instance: Instance?) -> Bool {
        for (d, paired) in zip(s.deps, s.paired) {
            if paired, let n = instance?.namesakes.first(where: { $0.spec === d }) {
                if !(n.outcome?.countsAsSuccess ?? false) { return false }
            } else if !d.countsAsSuccess {
                return false
            }
        }
        return true
    }

    /// The expression context of a step (and instance): its reads of `steps`, `item`, `env`, `vars`, `run`.
    func context(for s: Spec, instance: Instance?) -> EvaluationContext {
        var steps: [String: JSONValue] = [:]
        for id in s.reads {
            guard let k = s.graph.index(of: id), let d = byWorkflow[s.workflow.name]?[k] else { continue }
            if let n = instance?.namesakes.first(where: { $0.spec === d }), let r = n.outcome {
                steps[id] = ["status": .string(r.status.rawValue), "outputs": .object(r.outputs)]
            } else if d.step.forEach != nil && d.outcome == nil {
                var outputs: [String: [String: JSONValue]] = [:]
                let outcomes = d.instances.compactMap(\.outcome)
                for name in Set(outcomes.flatMap { $0.outputs.keys }) {
                    var m: [String: JSONValue] = [:]
                    for i in d.instances { m[i.key ?? i.id] = i.outcome?.outputs[name] ?? .null }
                    outputs[name] = m
                }
                steps[id] = ["status": .string(d.status.rawValue), "outputs": .object(outputs.mapValues(JSONValue.object))]
            } else {
                let r = d.outcome ?? d.instances.first?.outcome
                steps[id] = ["status": .string(d.status.rawValue), "outputs": .object(r?.outputs ?? [:])]
            }
        }
        var ctx = constants.base(workflow: s.workflow.name, environment: run.environment(ofStep: s.key), failures: failures, run)
        ctx.contexts["steps"] = .object(steps)
        if let item = instance?.item { ctx.contexts["item"] = item }
        ctx.success = directSuccess(s, instance)
        if s.readsFailure, let steps = byWorkflow[s.workflow.name] {
            ctx.failure = s.graph.ancestors(of: s.index).contains { steps[$0].failed }
        }
        ctx.cancelled = control.isCancelled
        ctx.dryRun = run.request.dryRun
        return ctx
    }
}

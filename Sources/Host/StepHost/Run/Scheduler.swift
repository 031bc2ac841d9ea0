import StepProcess
import Foundation
import StepProtocol
import StepYAML

/// Runs the steps of the prepared workflows in dependency order, up to `-j`
/// at once. for-each steps become one instance per item, expanded when what
/// they need has finished (or, for a paired for-each, has been expanded).
final class Scheduler {
    final class Spec {
        let workflow: WorkflowSpec
        let graph: WorkflowGraph
        let index: Int
        let step: StepSpec
        var deps: [Spec] = []
        var paired: [Bool] = []
        /// Steps that need this one: re-checked when it expands or one of its instances ends.
        var dependants: [Spec] = []
        /// Whether the condition calls failure() (the only reader of the ancestors' failures).
        let readsFailure: Bool
        /// Steps whose outputs or status this step's expressions read.
        let reads: Set<String>
        var expanded = false
        var instances: [Instance] = []
        /// Set when the step ended without instances (skipped, nothing to do, for-each error).
        var record: StepRecord?
        var running = 0

        init(workflow: WorkflowSpec, graph: WorkflowGraph, index: Int) {
            self.workflow = workflow
            self.graph = graph
            self.index = index
            step = workflow.steps[index]
            var reads = Set<String>()
            if let c = step.condition { reads.formUnion(c.referencedSteps) }
            for e in step.forEach?.expressions ?? [] { reads.formUnion(e.referencedSteps) }
            for e in step.env { for x in e.value.expressions { reads.formUnion(x.referencedSteps) } }
            if let w = step.with { Spec.collect(w, &reads) }
            self.reads = reads
            var readsFailure = false
            step.condition?.visit { if case .call("failure", _) = $0 { readsFailure = true } }
            self.readsFailure = readsFailure
        }

        static func collect(_ n: YAMLNode, _ out: inout Set<String>) {
            switch n.kind {
            case .scalar(let s): if s.contains("${{"), let t = try? Template(s) { for e in t.expressions { out.formUnion(e.referencedSteps) } }
            case .sequence(let items): items.forEach { collect($0, &out) }
            case .mapping(let pairs): pairs.forEach { collect($0.value, &out) }
            }
        }

        var finished: Bool { record != nil || (expanded && instances.allSatisfy { $0.record != nil }) }

        var status: StepStatus {
            if let r = record { return r.status }
            let s = instances.compactMap(\.record).map(\.status)
            if s.contains(.failure) { return .failure }
            if s.contains(.cancelled) { return .cancelled }
            if s.contains(.success) { return .success }
            return .skipped
        }

        var countsAsSuccess: Bool {
            if let r = record { return r.countsAsSuccess }
            let recs = instances.compactMap(\.record)
            if recs.contains(where: { $0.status == .failure && !$0.continuedOnError }) || recs.contains(where: { $0.status == .cancelled }) { return false }
            return recs.contains { $0.countsAsSuccess }
        }

        var failed: Bool {
            if let r = record { return r.status == .failure && !r.continuedOnError }
            return instances.contains { $0.record.map { $0.status == .failure && !$0.continuedOnError } ?? false }
        }
    }

    final class Instance {
        let spec: Spec
        let id: String
        let key: String?
        let item: JSONValue?
        /// Paired dependencies: the namesake instance in each paired step.
        var namesakes: [Instance] = []
        /// Paired steps that have no namesake of this instance: it waits for all of them.
        var whole: [Spec] = []
        var record: StepRecord?
        var started = false
        /// Its needs are met and its `if` said run: it waits only for a free slot.
        var cleared = false
        init(spec: Spec, id: String, key: String?, item: JSONValue?) { self.spec = spec; self.id = id; self.key = key; self.item = item }
    }

    let run: PreparedRun
    let reporter: RunReporter
    let control: RunControl
    let executor: StepExecutor
    let record: RunRecord?
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
    var runnable: [Instance] = []
    /// Steps whose end is in the journal but maybe not yet on disk.
    var unsynced = Set<ObjectIdentifier>()

    init(run: PreparedRun, reporter: RunReporter, control: RunControl, record: RunRecord?) {
        self.run = run
        self.reporter = reporter
        self.control = control
        self.record = record
        multiWorkflow = run.workflows.count > 1
        workflowIndex = Dictionary(uniqueKeysWithValues: run.workflows.enumerated().map { ($1.spec.name, $0) })
        executor = StepExecutor(pool: run.pool, reporter: reporter, masker: run.masker, control: control, record: record,
                                workspace: run.workspace, dryRun: run.request.dryRun, cancelGrace: run.request.cancelGrace)
        for (wf, graph) in run.workflows {
            let local = wf.steps.indices.map { Spec(workflow: wf, graph: graph, index: $0) }
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

    /// Runs everything; returns the records in manifest order.
    func runAll() async -> [StepRecord] {
        let jobs = max(1, run.request.jobs)
        await withTaskGroup(of: (Int, StepRecord).self) { group in
            var running = 0
            var inflight: [Int: Instance] = [:]
            var nextToken = 0
            while true {
                advance()
                var k = 0
                while running < jobs, k < runnable.count {
                    let inst = runnable[k]
                    if let limit = inst.spec.step.maxParallel, inst.spec.running >= limit { k += 1; continue }
                    runnable.remove(at: k)
                    if blockedByCancellation(inst.spec) {
                        finish(inst, StepRecord(id: inst.id, workflow: inst.spec.workflow.name, uses: inst.spec.step.uses, status: .skipped,
                                                reason: control.reason?.text ?? "cancelled"))
                        continue
                    }
                    guard let job = prepareJob(inst) else { continue }
                    if !unsynced.isEmpty && inst.spec.deps.contains(where: { unsynced.contains(ObjectIdentifier($0)) }) {
                        record?.sync()
                        unsynced = []
                    }
                    inst.started = true
                    inst.spec.running += 1
                    running += 1
                    record?.append("step-started", ["step": .string(job.displayID), "uses": .string(inst.spec.step.uses)], sync: false)
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
                        for i in s.instances where i.record == nil { finish(i, StepRecord(id: i.id, workflow: s.workflow.name, uses: s.step.uses, status: .skipped, reason: "needs skipped")) }
                    }
                    continue
                }
                guard let (token, rec) = await group.next(), let inst = inflight.removeValue(forKey: token) else { break }
                running -= 1
                inst.spec.running -= 1
                finish(inst, rec)
                if run.request.failFast && rec.status == .failure && !rec.continuedOnError && !control.isCancelled {
                    control.cancel(.failFast)
                }
            }
        }
        // Manifest order, for the summary.
        let ordered = specs.enumerated().sorted { a, b in
            (workflowIndex[a.element.workflow.name] ?? 0, a.element.index) < (workflowIndex[b.element.workflow.name] ?? 0, b.element.index)
        }.map(\.element)
        return ordered.flatMap { s in s.record.map { [$0] } ?? s.instances.compactMap(\.record) }
    }

    // MARK: - Deciding

    /// Expands the steps whose prerequisites are met, and decides each ready
    /// instance once: skipped, failed, or cleared to run.
    func advance() {
        while !dirty.isEmpty {
            let batch = dirty
            dirty = []
            isDirty = []
            for s in batch {
                if !s.expanded && s.record == nil {
                    let ready = zip(s.deps, s.paired).allSatisfy { d, paired in paired ? (d.expanded || d.finished) : d.finished }
                    guard ready else { continue }
                    expand(s)
                    markDependantsDirty(s)
                }
                guard s.expanded else { continue }
                for i in s.instances where !i.started && !i.cleared && i.record == nil && isReady(i) {
                    if let skip = decideInstance(i) { finish(i, skip) } else { i.cleared = true; runnable.append(i) }
                }
            }
        }
    }

    func isReady(_ i: Instance) -> Bool { i.namesakes.allSatisfy { $0.record != nil } && i.whole.allSatisfy(\.finished) }

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
        // A paired step that ended as a whole (skipped, or its for-each failed) is checked like any other need.
        let unpaired = zip(s.deps, s.paired).filter { !$0.1 || $0.0.record != nil }.map(\.0)
        let usesStatus = s.step.condition?.callsStatusFunction ?? false
        if !usesStatus && !unpaired.allSatisfy(\.countsAsSuccess) {
            return finishSpec(s, .skipped, reason: needsReason(unpaired.filter { !$0.countsAsSuccess }))
        }
        guard let forEach = s.step.forEach else {
            s.instances = [Instance(spec: s, id: s.step.id, key: nil, item: nil)]
            return
        }
        let value: JSONValue
        do { value = try forEach.evaluate(context(for: s, instance: nil)) } catch {
            return finishSpec(s, .failure, error: "for-each: \(error.message)")
        }
        if value.isNull && run.request.dryRun {
            return finishSpec(s, .skipped, reason: "for-each list unknown in a dry run")
        }
        guard case .array(let items) = value else {
            return finishSpec(s, .failure, error: "for-each must yield a list, got \(value.typeName) \(value.encoded().prefix(80))")
        }
        if items.isEmpty { return finishSpec(s, .skipped, reason: "nothing to do") }
        var keys: [String] = []
        var useIndex = false
        for item in items {
            switch item {
            case .string(let k): keys.append(k)
            case .number: if let n = item.intValue { keys.append(String(n)) } else { useIndex = true }
            case .object(let o): if let k = o["name"]?.stringValue { keys.append(k) } else { useIndex = true }
            default: useIndex = true
            }
        }
        if useIndex { keys = items.indices.map(String.init) }
        var seen: [String: Int] = [:]
        for k in keys { seen[k, default: 0] += 1 }
        let dups = seen.filter { $0.value > 1 }.keys.sorted()
        if !dups.isEmpty { return finishSpec(s, .failure, error: "for-each keys must be unique; duplicated: \(dups.joined(separator: ", "))") }
        if let bad = keys.first(where: { $0.contains("[") || $0.contains("]") || $0.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } }) {
            return finishSpec(s, .failure, error: "for-each key \(JSONValue.string(bad).encoded()) contains '[', ']' or a control character")
        }
        s.instances = zip(keys, items).map { Instance(spec: s, id: "\(s.step.id)[\($0)]", key: $0, item: $1) }
        for i in s.instances {
            for (d, paired) in zip(s.deps, s.paired) where paired && d.record == nil {
                if let n = d.instances.first(where: { $0.key == i.key }) { i.namesakes.append(n) } else { i.whole.append(d) }
            }
        }
    }

    /// nil when the instance should run; else the record of its skip or failure.
    func decideInstance(_ i: Instance) -> StepRecord? {
        let s = i.spec
        func rec(_ status: StepStatus, reason: String? = nil, error: String? = nil) -> StepRecord {
            StepRecord(id: i.id, workflow: s.workflow.name, uses: s.step.uses, status: status, reason: reason, error: error)
        }
        if blockedByCancellation(s) { return rec(.skipped, reason: control.reason?.text ?? "cancelled") }
        let usesStatus = s.step.condition?.callsStatusFunction ?? false
        let namesakeRecords = i.namesakes.compactMap(\.record)
        if !usesStatus && (!namesakeRecords.allSatisfy(\.countsAsSuccess) || !i.whole.allSatisfy(\.countsAsSuccess)) {
            let failed = namesakeRecords.contains { $0.status == .failure } || i.whole.contains(where: \.failed)
            return rec(.skipped, reason: failed ? "needs failed" : "needs skipped")
        }
        let ctx = context(for: s, instance: i)
        do {
            if !(try s.step.effectiveCondition.evaluate(ctx)).isTruthy { return rec(.skipped, reason: "if was false") }
        } catch { return rec(.failure, error: "if: \(error.message)") }
        if run.request.dryRun && !(run.capabilities[s.step.uses]?.dryRun ?? false) {
            return rec(.skipped, reason: "no dry run")
        }
        return nil
    }

    /// The expression context of a step (and instance): its reads of `steps`, `item`, `env`, `vars`, `run`.
    func context(for s: Spec, instance: Instance?) -> EvaluationContext {
        var steps: [String: JSONValue] = [:]
        for id in s.reads {
            guard let k = s.graph.index(of: id), let d = byWorkflow[s.workflow.name]?[k] else { continue }
            if let n = instance?.namesakes.first(where: { $0.spec === d }), let r = n.record {
                steps[id] = ["status": .string(r.status.rawValue), "outputs": .object(r.outputs)]
            } else if d.step.forEach != nil && d.record == nil {
                var outputs: [String: [String: JSONValue]] = [:]
                let recs = d.instances.compactMap(\.record)
                for name in Set(recs.flatMap { $0.outputs.keys }) {
                    var m: [String: JSONValue] = [:]
                    for i in d.instances { m[i.key ?? i.id] = i.record?.outputs[name] ?? .null }
                    outputs[name] = m
                }
                steps[id] = ["status": .string(d.status.rawValue), "outputs": .object(outputs.mapValues(JSONValue.object))]
            } else {
                let r = d.record ?? d.instances.first?.record
                steps[id] = ["status": .string(d.status.rawValue), "outputs": .object(r?.outputs ?? [:])]
            }
        }
        let envName = run.environment(ofStep: s.workflow.name, s.step.id)
        var ctx = EvaluationContext(contexts: [
            "steps": .object(steps),
            "env": .object((run.envContexts[s.workflow.name] ?? [:]).mapValues(JSONValue.string)),
            "vars": run.vars(for: envName),
            "run": run.runContextJSON(workflow: s.workflow.name),
        ])
        if let item = instance?.item { ctx.contexts["item"] = item }
        let direct: [Bool] = zip(s.deps, s.paired).map { d, paired in
            if paired, let n = instance?.namesakes.first(where: { $0.spec === d }) { return n.record?.countsAsSuccess ?? false }
            return d.countsAsSuccess
        }
        ctx.success = direct.allSatisfy { $0 }
        if s.readsFailure, let steps = byWorkflow[s.workflow.name] {
            ctx.failure = s.graph.ancestors(of: s.index).contains { steps[$0].failed }
        }
        ctx.cancelled = control.isCancelled
        return ctx
    }

    func prepareJob(_ i: Instance) -> StepExecutor.Job? {
        let s = i.spec
        let ctx = context(for: s, instance: i)
        let desc = run.descriptions[s.step.uses]
        let inputs: [String: JSONValue]
        var env = run.envContexts[s.workflow.name] ?? [:]
        do {
            inputs = try InputResolver.resolve(s.step.with, schema: desc?.inputs, context: ctx)
            var stepCtx = ctx
            for e in s.step.env {
                stepCtx.contexts["env"] = .object(env.mapValues(JSONValue.string))
                env[e.name] = Template.text(of: try e.value.evaluate(stepCtx))
            }
        } catch {
            finish(i, StepRecord(id: i.id, workflow: s.workflow.name, uses: s.step.uses, status: .failure, error: error.message))
            return nil
        }
        let envName = run.environment(ofStep: s.workflow.name, s.step.id)
        let tempDir = "\(run.workspace)/.stephost/tmp/\(run.runID)/\(multiWorkflow ? "\(s.workflow.name)/" : "")\(i.id)"
        try? FileManager.default.createDirectory(atPath: tempDir, withIntermediateDirectories: true)
        return StepExecutor.Job(
            displayID: display(s, i.id), stepID: i.id, workflow: s.workflow.name, spec: s.step,
            descriptor: run.plugins[s.step.uses]!, description: desc, inputs: inputs, env: env,
            secrets: run.secrets(ofStep: s.workflow.name, s.step.id), environment: envName,
            run: run.runInfo(workflow: s.workflow.name, environment: envName), tempDir: tempDir, cancelEpoch: control.epoch)
    }

    // MARK: - Finishing

    func finishSpec(_ s: Spec, _ status: StepStatus, reason: String? = nil, error: String? = nil) {
        var r = StepRecord(id: s.step.id, workflow: s.workflow.name, uses: s.step.uses, status: status, reason: reason, error: error)
        if status == .failure && s.step.continueOnError { r.continuedOnError = true }
        s.record = r
        s.expanded = true
        markDependantsDirty(s)
        publish(r, of: s, display: display(s, s.step.id))
    }

    func finish(_ i: Instance, _ r: StepRecord) {
        var r = r
        if r.status == .failure && i.spec.step.continueOnError { r.continuedOnError = true }
        i.record = r
        markDependantsDirty(i.spec)
        publish(r, of: i.spec, display: display(i.spec, i.id))
    }

    private func publish(_ r: StepRecord, of spec: Spec, display: String) {
        var shown = r
        shown.id = display
        record?.append("step-finished", shown.json.objectValue ?? [:], sync: false)
        unsynced.insert(ObjectIdentifier(spec))
        reporter.report(.stepFinished(shown))
    }
}

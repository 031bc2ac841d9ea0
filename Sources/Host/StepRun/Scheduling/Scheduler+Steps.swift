import Foundation
import StepManifest
import StepProtocol

/// A step of the run as the scheduler tracks it, and its for-each instances.
extension Scheduler {
    /// A workflow and its graph, held once and shared by its steps (a step keeps a reference, not a copy:
    /// both are large values, and a run may have 100,000 steps).
    final class Flow {
        let spec: WorkflowSpec
        let graph: WorkflowGraph
        init(_ spec: WorkflowSpec, _ graph: WorkflowGraph) { self.spec = spec; self.graph = graph }
    }

    final class Spec {
        let flow: Flow
        var workflow: WorkflowSpec { flow.spec }
        var graph: WorkflowGraph { flow.graph }
        let index: Int
        let step: StepSpec
        /// "workflow/step": the key of its environment, secrets and fingerprint.
        let key: String
        /// Whether its inputs or env hold expressions (else they are resolved without a context).
        let needsContext: Bool
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
        var outcome: StepOutcome?
        var running = 0
        /// Ended as a whole without running, decided from needs that were all unchanged (see `Scheduler.needsUnchanged`).
        var unchangedWhole = false

        init(_ flow: Flow, index: Int) {
            self.flow = flow
            let workflow = flow.spec
            self.index = index
            step = workflow.steps[index]
            key = "\(workflow.name)/\(step.id)"
            needsContext = !step.env.isEmpty || !(step.inputs?.expressions.isEmpty ?? true)
            var reads = Set<String>()
            if let c = step.condition { reads.formUnion(c.referencedSteps) }
            for e in step.forEach?.expressions ?? [] { reads.formUnion(e.referencedSteps) }
            for e in step.env { for x in e.value.expressions { reads.formUnion(x.referencedSteps) } }
            reads.formUnion(step.inputs?.referencedSteps ?? [])
            self.reads = reads
            var readsFailure = false
            step.condition?.visit { if case .call("failure", _) = $0 { readsFailure = true } }
            self.readsFailure = readsFailure
        }

        var finished: Bool { outcome != nil || (expanded && instances.allSatisfy { $0.outcome != nil }) }

        var status: StepStatus {
            if let r = outcome { return r.status }
            let s = instances.compactMap(\.outcome).map(\.status)
            if s.contains(.failure) { return .failure }
            if s.contains(.cancelled) { return .cancelled }
            if s.contains(.success) { return .success }
            return .skipped
        }

        var countsAsSuccess: Bool {
            if let r = outcome { return r.countsAsSuccess }
            let outcomes = instances.compactMap(\.outcome)
            if outcomes.contains(where: \.failsTheRun) { return false }
            return outcomes.contains { $0.countsAsSuccess }
        }

        var failed: Bool {
            if let r = outcome { return r.status == .failure && !r.continuedOnError }
            return instances.contains { $0.outcome.map { $0.status == .failure && !$0.continuedOnError } ?? false }
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
        var outcome: StepOutcome?
        var started = false
        /// Its needs are met and its `if` said run: it waits only for a free slot.
        var cleared = false
        /// Nothing of it ran in this run: reused from the resumed run, or skipped on the strength of needs that were unchanged.
        var unchanged = false
        init(spec: Spec, id: String, key: String?, item: JSONValue?) { self.spec = spec; self.id = id; self.key = key; self.item = item }
    }
}

/// Instances cleared to run, in the order they became ready. Taking from the front is O(1), so a
/// run of 100,000 steps that are all ready at once is linear; an instance held back (its step at
/// its max-parallel) keeps its place for the next pass.
struct ReadyQueue {
    private var items: [Scheduler.Instance?] = []
    private var head = 0

    var isEmpty: Bool { head == items.count }

    mutating func append(_ i: Scheduler.Instance) { items.append(i) }

    /// The first instance from the front that `eligible` accepts, taken out of the queue.
    mutating func take(where eligible: (Scheduler.Instance) -> Bool) -> Scheduler.Instance? {
        var k = head
        while k < items.count {
            if let i = items[k], eligible(i) {
                items[k] = nil
                while head < items.count, items[head] == nil { head += 1 }
                if head == items.count { items.removeAll(keepingCapacity: true); head = 0 }
                else if head > 4096 && head * 2 > items.count { items.removeFirst(head); head = 0 }
                return i
            }
            k += 1
        }
        return nil
    }
}

import StepJournal
import StepManifest
import StepProtocol

extension Runner {
    /// `--only` / `--until` checked against the one workflow they pick from: every id a step of
    /// it, keys only on for-each steps; `--until` becomes its steps and everything they need.
    static func resolveSelection(_ request: RunRequest, graphs: [(spec: WorkflowSpec, graph: WorkflowGraph)],
                                 manifest: Manifest) throws(RunError) -> StepSelection? {
        guard request.only != nil || !request.until.isEmpty else { return nil }
        let option = request.only != nil ? "--only" : "--until"
        if request.only != nil && !request.until.isEmpty {
            throw .usage("--only and --until do not go together (--until ID is --only with ID and everything it needs)")
        }
        guard graphs.count == 1, let (wf, graph) = graphs.first else {
            throw .usage("\(option) picks steps of one workflow: name it (stephost run WORKFLOW \(option) …)")
        }
        func index(_ id: String) throws(RunError) -> Int {
            guard let k = graph.index(of: id) else {
                let ids = wf.steps.map(\.id)
                throw .usage("\(option): workflow '\(wf.name)' of \(manifest.file) has no step '\(id)'\(Suggestion.didYouMean(id, in: ids)) (steps: \(ids.joined(separator: ", ")))")
            }
            return k
        }
        if let only = request.only {
            for id in only.order {
                let k = try index(id)
                if case .keys? = only.parts[id], wf.steps[k].forEach == nil {
                    throw .usage("--only \(only.text): step '\(id)' has no for-each, so it has no instances to pick; select it as '\(id)'")
                }
            }
            return only
        }
        var selection = StepSelection()
        for id in request.until {
            let k = try index(id)
            selection.add(id, .whole)
            for a in graph.ancestors(of: k).sorted() { selection.add(wf.steps[a].id, .whole) }
        }
        return selection
    }

    /// Each need of a selected step that is not selected itself must have succeeded in the resumed
    /// run, whose recorded outputs feed it; else nothing runs, and every such need is named.
    static func checkSelectedNeeds(_ selection: StepSelection?, _ graphs: [(spec: WorkflowSpec, graph: WorkflowGraph)],
                                   previous: RunJournal?) throws(RunError) {
        guard let selection, let (wf, graph) = graphs.first else { return }
        var missing: [String] = []
        for (k, s) in wf.steps.enumerated() where selection.contains(step: s.id) {
            for d in graph.dependencies[k] {
                let need = wf.steps[d]
                switch selection.parts[need.id] {
                case .whole?: continue
                case .keys(let theirs)?:
                    // A paired for-each needs only its namesakes: selected ones are enough.
                    if s.forEachSource != nil, s.forEachSource == need.forEachSource, case .keys(let mine)? = selection.parts[s.id],
                       mine.isSubset(of: theirs) { continue }
                default: break
                }
                if let previous {
                    let ended = ended(need.id, workflow: wf.name, in: previous)
                    if !ended.isEmpty && ended.allSatisfy(\.countsAsSuccess) { continue }
                }
                missing.append("step '\(s.id)' needs '\(need.id)', which is not selected and "
                               + (previous.map { "did not succeed in run \($0.id)" } ?? "no run was given with --resume"))
            }
        }
        guard !missing.isEmpty else { return }
        throw .usage((missing + ["select those steps too, or pass --resume RUN (a run id, 'last', or a record folder) where they succeeded"])
            .joined(separator: "\n"))
    }

    /// How a step (or each instance of a for-each) ended in a recorded run; empty when it did not end
    /// there (absent, or left out by that run's own selection).
    public static func ended(_ id: String, workflow: String, in run: RunJournal) -> [StepOutcome] {
        var out: [StepOutcome] = []
        for s in run.steps where s.outcome.workflow == workflow && s.outcome.reason != StepSelection.notSelected {
            let rid = s.outcome.localID
            if rid == id || rid.hasPrefix("\(id)[") { out.append(s.outcome) }
        }
        return out
    }
}

import StepProtocol
import StepYAML

/// The dependency graph of one workflow's steps, and the checks that need it:
/// unknown `needs`, cycles, and expressions that read steps they do not depend on.
public struct WorkflowGraph: Sendable {
    public let workflow: WorkflowSpec
    /// Step index → indices of the steps it needs directly.
    public let dependencies: [[Int]]
    /// Indices in an order where every step comes after what it needs (empty when there is a cycle).
    public let order: [Int]
    public private(set) var problems: [Diagnostic] = []
    private let indexOfID: [String: Int]

    public init(workflow: WorkflowSpec, file: String) {
        self.workflow = workflow
        var index: [String: Int] = [:]
        var problems: [Diagnostic] = []
        func report(_ pos: SourcePosition, _ m: String) { problems.append(Diagnostic(file: file, position: pos, message: m)) }
        for (k, s) in workflow.steps.enumerated() {
            if let first = index[s.id] {
                report(s.position, "duplicate step id '\(s.id)' in workflow '\(workflow.name)' (first at line \(workflow.steps[first].position.line))")
            } else { index[s.id] = k }
        }
        indexOfID = index
        var deps: [[Int]] = []
        for (k, s) in workflow.steps.enumerated() {
            if let needs = s.needs {
                var d: [Int] = []
                for n in needs {
                    if let j = index[n] { if !d.contains(j) { d.append(j) } } else {
                        report(s.position(of: "needs"), "step '\(s.id)' needs '\(n)', which is not a step of workflow '\(workflow.name)' (its steps: \(workflow.steps.map(\.id).joined(separator: ", ")))")
                    }
                }
                deps.append(d)
            } else {
                deps.append(k > 0 ? [k - 1] : [])
            }
        }
        dependencies = deps
        // Kahn's algorithm; what is left over is in a cycle.
        var indegree = deps.map(\.count)
        var dependants = Array(repeating: [Int](), count: deps.count)
        for (k, d) in deps.enumerated() { for j in d { dependants[j].append(k) } }
        var queue = (0..<deps.count).filter { indegree[$0] == 0 }
        var order: [Int] = []
        var head = 0
        while head < queue.count {
            let k = queue[head]; head += 1
            order.append(k)
            for m in dependants[k] { indegree[m] -= 1; if indegree[m] == 0 { queue.append(m) } }
        }
        if order.count < deps.count {
            let inCycle = Set((0..<deps.count).filter { indegree[$0] > 0 })
            let cycle = WorkflowGraph.findCycle(deps, within: inCycle)
            let names = cycle.map { workflow.steps[$0].id }
            report(workflow.steps[cycle[0]].position, "the steps of workflow '\(workflow.name)' form a cycle: \((names + [names[0]]).joined(separator: " → "))")
            order = []
        }
        self.order = order
        self.problems = problems
        if !order.isEmpty { checkReferences(file: file) }
    }

    public func index(of id: String) -> Int? { indexOfID[id] }

    /// Whether step `a` depends on step `b`, directly or through others.
    public func dependsOn(_ a: Int, _ b: Int) -> Bool {
        var seen = Set<Int>()
        var stack = dependencies[a]
        while let k = stack.popLast() {
            if k == b { return true }
            if seen.insert(k).inserted { stack.append(contentsOf: dependencies[k]) }
        }
        return false
    }

    /// Every step `k` depends on, directly or through others.
    public func ancestors(of k: Int) -> Set<Int> {
        var seen = Set<Int>()
        var stack = dependencies[k]
        while let j = stack.popLast() { if seen.insert(j).inserted { stack.append(contentsOf: dependencies[j]) } }
        return seen
    }

    private static func findCycle(_ deps: [[Int]], within nodes: Set<Int>) -> [Int] {
        var color = [Int: Int]()
        var path: [Int] = []
        func dfs(_ k: Int) -> [Int]? {
            color[k] = 1
            path.append(k)
            for j in deps[k] where nodes.contains(j) {
                if color[j] == 1, let at = path.firstIndex(of: j) { return Array(path[at...]) }
                if color[j] == nil, let c = dfs(j) { return c }
            }
            path.removeLast()
            color[k] = 2
            return nil
        }
        for k in nodes.sorted() where color[k] == nil { if let c = dfs(k) { return c.reversed() } }
        return nodes.sorted()
    }

    /// What to say of an unknown context: secrets are granted, not read; else "did you mean".
    static func unknownContext(_ name: String, in what: String) -> String {
        if name == "secrets" {
            return "'secrets' is not a context in \(what): secrets are granted with `secrets: [NAME]` on the step, not read in expressions (a plugin gets them in its request; exec exports them to its command)"
        }
        let known = EvaluationContext.knownContexts
        return "unknown context '\(name)' in \(what)\(Suggestion.didYouMean(name, in: known)) (known: \(known.joined(separator: ", ")))"
    }

    private mutating func checkReferences(file: String) {
        for (k, s) in workflow.steps.enumerated() {
            var uses: [(String, SourcePosition, [Expression])] = []
            if let c = s.condition { uses.append(("if", s.position(of: "if"), [c])) }
            if let f = s.forEach { uses.append(("for-each", s.position(of: "for-each"), f.expressions)) }
            for e in s.env { uses.append(("env.\(e.name)", e.position, e.value.expressions)) }
            for e in s.inputs?.expressions ?? [] { uses.append((e.path, e.position, e.expressions)) }
            for (what, pos, exprs) in uses {
                for e in exprs {
                    let names = e.contextNames
                    if names.contains("item") && s.forEach != nil && what == "for-each" {
                        problems.append(Diagnostic(file: file, position: pos, message: "step '\(s.id)': for-each cannot use 'item' (it is what for-each defines)"))
                    } else if names.contains("item") && s.forEach == nil && s.node?["for-each"] == nil {
                        // (A for-each that is there but did not parse has its own error: no second one about it.)
                        problems.append(Diagnostic(file: file, position: pos, message: "step '\(s.id)' uses 'item' in \(what) but has no for-each"))
                    }
                    for name in names where !EvaluationContext.knownContexts.contains(name) {
                        problems.append(Diagnostic(file: file, position: pos, message: "step '\(s.id)': \(WorkflowGraph.unknownContext(name, in: what))"))
                    }
                    for ref in e.referencedSteps.sorted() {
                        guard let j = indexOfID[ref] else {
                            problems.append(Diagnostic(file: file, position: pos, message: "step '\(s.id)' reads steps.\(ref) in \(what), but workflow '\(workflow.name)' has no step '\(ref)'"))
                            continue
                        }
                        if !dependsOn(k, j) {
                            problems.append(Diagnostic(file: file, position: pos, message: "step '\(s.id)' reads steps.\(ref) in \(what) but does not depend on it; add '\(ref)' to its needs"))
                        }
                    }
                }
            }
        }
    }
}

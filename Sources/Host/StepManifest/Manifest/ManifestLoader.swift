import Foundation
import StepProtocol
import StepYAML

/// Reads a manifest into a `Manifest`, collecting every problem it finds
/// (with `FILE:LINE:COLUMN`) instead of stopping at the first.
public struct ManifestLoader {
    public static let defaultTimeout = StepDuration(milliseconds: 60 * 60_000)

    var file: String
    var problems: [Diagnostic] = []

    /// Reads and checks the file; plugin-dependent checks are `ManifestValidator`'s.
    public static func load(file: String) throws(ManifestError) -> (Manifest, [Diagnostic]) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
            throw ManifestError.unreadable(file: file, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw ManifestError.unreadable(file: file, reason: "it is a directory") }
        guard let data = FileManager.default.contents(atPath: file) else { throw ManifestError.unreadable(file: file, reason: "permission denied") }
        guard let text = String(data: data, encoding: .utf8) else { throw ManifestError.unreadable(file: file, reason: "not UTF-8 text") }
        return try parse(text, file: file)
    }

    public static func parse(_ text: String, file: String) throws(ManifestError) -> (Manifest, [Diagnostic]) {
        let root: YAMLNode
        do { root = try YAMLParser.parse(text, file: file) } catch { throw ManifestError.yaml(error) }
        var loader = ManifestLoader(file: file)
        var manifest = loader.manifest(root)
        var problems = loader.problems
        for wf in manifest.workflows {
            let g = WorkflowGraph(workflow: wf, file: file)
            manifest.graphs[wf.name] = g
            problems += g.problems
        }
        return (manifest, problems.sorted())
    }

    mutating func report(_ node: YAMLNode, _ message: String) { report(node.position, message) }
    mutating func report(_ position: SourcePosition, _ message: String) {
        problems.append(Diagnostic(file: file, position: position, message: message))
    }

    /// The pairs of a mapping, reporting unknown keys.
    mutating func mapping(_ node: YAMLNode, _ what: String, allowed: [String]? = nil, extensions: Bool = false) -> [YAMLNode.Pair] {
        guard let pairs = node.pairs else {
            if node.scalar == "" && node.isPlain { return [] }
            report(node, "\(what) must be a mapping")
            return []
        }
        if let allowed {
            for p in pairs where !allowed.contains(p.key.scalar ?? "") && !(extensions && (p.key.scalar ?? "").hasPrefix("x-")) {
                let key = p.key.scalar ?? ""
                let guess = Suggestion.didYouMean(key, in: allowed)
                report(p.key, "unknown key '\(key)' in \(what)\(guess) (allowed: \(allowed.joined(separator: ", ")))")
            }
        }
        return pairs
    }

    /// A scalar as text; plain scalars keep their source text.
    mutating func text(_ node: YAMLNode, _ what: String) -> String? {
        guard let s = node.scalar else { report(node, "\(what) must be a single value, not a \(node.pairs != nil ? "mapping" : "list")"); return nil }
        return s
    }

    mutating func stringList(_ node: YAMLNode, _ what: String) -> [String] {
        if let s = node.scalar { return s.isEmpty && node.isPlain ? [] : [s] }
        guard let items = node.items else { report(node, "\(what) must be a list"); return [] }
        return items.compactMap { text($0, "an entry of \(what)") }
    }

    mutating func template(_ node: YAMLNode, _ what: String) -> Template? {
        guard let s = text(node, what) else { return nil }
        do { return try Template(s) } catch { report(node, "\(what): \(error.message)"); return nil }
    }

    mutating func envEntries(_ node: YAMLNode, _ what: String) -> [EnvEntry] {
        mapping(node, what).compactMap { p in
            let name = p.key.scalar ?? ""
            guard let t = template(p.value, "\(what).\(name)") else { return nil }
            return EnvEntry(name: name, value: t, position: p.key.position)
        }
    }

    mutating func manifest(_ root: YAMLNode) -> Manifest {
        var m = Manifest(file: file, version: 1, env: [], environments: [], workflows: [])
        if root.scalar == "" && root.isPlain { report(root, "the manifest is empty; it needs at least 'workflows:'"); return m }
        // Top-level `x-` keys are the user's own (a place for blocks shared with anchors); stephost ignores them.
        let pairs = mapping(root, "the manifest", allowed: ["version", "env", "environments", "pass-env", "override", "hints", "workflows"], extensions: true)
        var sawWorkflows = false
        for p in pairs {
            switch p.key.scalar {
            case "version":
                if p.value.json != .int(1) { report(p.value, "unsupported manifest version \(p.value.scalar ?? "?"); this stephost reads version 1") }
            case "env": m.env = envEntries(p.value, "env"); m.envNode = p.value
            case "pass-env":
                for item in p.value.items ?? [p.value] {
                    guard let name = text(item, "an entry of pass-env") else { continue }
                    let stem = name.hasSuffix("*") ? String(name.dropLast()) : name
                    if stem.isEmpty || !stem.allSatisfy({ $0 == "_" || $0.isASCII && ($0.isLetter || $0.isNumber) }) || stem.first!.isNumber {
                        report(item, "pass-env: '\(name)' is not a variable name (or a prefix ending in *)")
                    } else {
                        m.passEnv.append(name)
                    }
                }
            case "override":
                for item in p.value.items ?? [p.value] {
                    if let name = text(item, "an entry of override") { m.overrides.append(name) }
                }
            case "hints": m.hints = hints(p.value)
            case "environments":
                for e in mapping(p.value, "environments") { m.environments.append(environment(e)) }
            case "workflows":
                sawWorkflows = true
                for w in mapping(p.value, "workflows") { m.workflows.append(workflow(w)) }
            default: break
            }
        }
        if !sawWorkflows && root.pairs != nil { report(root, "the manifest has no 'workflows:'") }
        return m
    }

    mutating func environment(_ p: YAMLNode.Pair) -> EnvironmentSpec {
        let name = p.key.scalar ?? ""
        var env = EnvironmentSpec(name: name, vars: [:], secrets: [], position: p.key.position, node: p.value)
        for f in mapping(p.value, "environment '\(name)'", allowed: ["vars", "secrets"]) {
            if f.key.scalar == "vars" {
                for v in mapping(f.value, "environments.\(name).vars") { env.vars[v.key.scalar ?? ""] = v.value.json }
            } else {
                for s in mapping(f.value, "environments.\(name).secrets") {
                    guard var ref = text(s.value, "secret source") else { continue }
                    let secret = s.key.scalar ?? ""
                    let optional = ref.hasSuffix("?")
                    if optional { ref.removeLast() }
                    if ref.hasPrefix("env:") && ref.count > 4 {
                        env.secrets.append(SecretSource(name: secret, kind: .env, reference: String(ref.dropFirst(4)), position: s.value.position,
                                                        optional: optional))
                    } else if ref.hasPrefix("file:") && ref.count > 5 {
                        env.secrets.append(SecretSource(name: secret, kind: .file, reference: String(ref.dropFirst(5)), position: s.value.position,
                                                        optional: optional))
                    } else {
                        report(s.value, "secret '\(secret)' of environment '\(name)': the source must be env:VARIABLE or file:PATH (with ? after it when optional), got '\(ref)\(optional ? "?" : "")'")
                    }
                }
            }
        }
        return env
    }

    mutating func workflow(_ p: YAMLNode.Pair) -> WorkflowSpec {
        let name = p.key.scalar ?? ""
        var wf = WorkflowSpec(name: name, triggers: [], env: [], steps: [], position: p.key.position)
        let fields = mapping(p.value, "workflow '\(name)'", allowed: ["on", "env", "steps"])
        for f in fields {
            switch f.key.scalar {
            case "on": wf.triggers = triggers(f.value, workflow: name)
            case "env": wf.env = envEntries(f.value, "workflows.\(name).env"); wf.envNode = f.value
            case "steps":
                guard let items = f.value.items else { report(f.value, "workflows.\(name).steps must be a list of steps"); continue }
                for item in items { if let s = step(item, workflow: name) { wf.steps.append(s) } }
            default: break
            }
        }
        if p.value.pairs != nil && !fields.contains(where: { $0.key.scalar == "steps" }) {
            report(p.key, "workflow '\(name)' has no 'steps:'")
        }
        return wf
    }

    static let events = ["push", "pull_request", "manual"]

    mutating func triggers(_ node: YAMLNode, workflow: String) -> [Trigger] {
        func check(_ event: String, _ n: YAMLNode) -> Bool {
            if ManifestLoader.events.contains(event) { return true }
            report(n, "unknown event '\(event)' in workflows.\(workflow).on (known: \(ManifestLoader.events.joined(separator: ", ")))")
            return false
        }
        if node.scalar != nil || node.items != nil {
            return stringList(node, "on").compactMap { check($0, node) ? Trigger(event: $0) : nil }
        }
        var out: [Trigger] = []
        for p in mapping(node, "workflows.\(workflow).on") {
            let event = p.key.scalar ?? ""
            guard check(event, p.key) else { continue }
            var t = Trigger(event: event)
            let allowed = event == "manual" ? [String]() : ["branches", "paths"] + (event == "pull_request" ? ["labels"] : [])
            for f in mapping(p.value, "on.\(event)", allowed: allowed) {
                let list = stringList(f.value, "on.\(event).\(f.key.scalar ?? "")")
                switch f.key.scalar {
                case "branches": t.branches = list
                case "paths": t.paths = list
                case "labels": t.labels = list
                default: break
                }
            }
            out.append(t)
        }
        return out
    }

    static let stepKeys = ["id", "uses", "with", "needs", "for-each", "max-parallel", "timeout", "retry",
                           "continue-on-error", "if", "environment", "secrets", "env", "kind"]

    mutating func step(_ node: YAMLNode, workflow: String) -> StepSpec? {
        let pairs = mapping(node, "a step", allowed: ManifestLoader.stepKeys)
        guard node.pairs != nil else { return nil }
        var s = StepSpec(.init(timeout: ManifestLoader.defaultTimeout, position: node.position, node: node))
        guard let idNode = node["id"], let id = text(idNode, "id") else {
            report(node, "a step of workflow '\(workflow)' has no 'id:'")
            return nil
        }
        s.id = id
        if id.isEmpty || !id.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }) {
            report(idNode, "step id '\(id)' may contain only a-z, 0-9, '_' and '-'")
        }
        let label = "step '\(id)'"
        if let u = node["uses"], let uses = text(u, "\(label): uses") { s.uses = uses } else if node["uses"] == nil {
            report(node, "\(label) has no 'uses:' (the step name a plugin provides)")
        }
        for p in pairs {
            let v = p.value
            switch p.key.scalar {
            case "with":
                if v.pairs == nil && !(v.scalar == "" && v.isPlain) { report(v, "\(label): with must be a mapping of inputs") } else {
                    s.with = v
                    if v.pairs != nil { s.inputs = InputTemplate(v) }
                }
            case "needs": s.needs = stringList(v, "\(label): needs")
            case "for-each":
                if v.items != nil || v.pairs != nil {
                    s.forEach = Template(literal: v.json)
                    s.forEachSource = v.json.encoded()
                } else if let t = template(v, "\(label): for-each") {
                    if !t.hasExpressions { report(v, "\(label): for-each must be an expression that yields a list, or a list") }
                    s.forEach = t
                    s.forEachSource = v.scalar?.trimmingSpaces()
                }
            case "max-parallel":
                if let n = v.json.intValue, n >= 1 { s.maxParallel = n } else { report(v, "\(label): max-parallel must be a whole number of at least 1") }
            case "timeout":
                if let t = text(v, "\(label): timeout") {
                    do { s.timeout = try StepDuration(parsing: t) } catch { report(v, "\(label): timeout: \(error.message)") }
                }
            case "retry": s.retry = retry(v, label)
            case "continue-on-error":
                if let b = v.json.boolValue { s.continueOnError = b } else { report(v, "\(label): continue-on-error must be true or false") }
            case "if":
                if let b = v.json.boolValue { s.condition = .literal(.bool(b)); s.conditionSource = String(b); continue }
                guard var src = text(v, "\(label): if") else { continue }
                src = src.trimmingSpaces()
                if src.hasPrefix("${{") && src.hasSuffix("}}") && src.components(separatedBy: "${{").count == 2 {
                    src = String(src.dropFirst(3).dropLast(2)).trimmingSpaces()
                }
                s.conditionSource = src
                do { s.condition = try ExpressionParser.parse(src) } catch { report(v, "\(label): if: \(error.message)") }
            case "environment":
                guard let t = template(v, "\(label): environment") else { continue }
                s.environment = t
                for e in t.expressions {
                    let bad = e.contextNames.subtracting(["env", "run"])
                    if !bad.isEmpty {
                        report(v, "\(label): environment may use only literals, env.* and run.* (so that secrets are known before the run), not \(bad.sorted().joined(separator: ", "))")
                    }
                }
            case "secrets":
                if let map = v.pairs {
                    for m in map { if let src = text(m.value, "\(label): secrets.\(m.key.scalar ?? "")") { s.secrets.append((m.key.scalar ?? "", src)) } }
                } else {
                    for n in stringList(v, "\(label): secrets") { s.secrets.append((n, n)) }
                }
            case "env": s.env = envEntries(v, "\(label): env")
            case "kind":
                guard let k = text(v, "\(label): kind") else { continue }
                if StepKind.isWord(k) { s.kind = k } else {
                    report(v, "\(label): kind must be one word of a-z, 0-9, '_' and '-' (build, publish, deploy, test, check, or your own), got '\(k)'")
                }
            default: break
            }
        }
        return s
    }

    /// `hints:`: a list of `{match: REGEX, hint: TEXT, uses: STEP-NAME}`; a regex that does not compile is reported where it is.
    mutating func hints(_ node: YAMLNode) -> [HintRule] {
        guard let items = node.items else {
            if !(node.scalar == "" && node.isPlain) { report(node, "hints must be a list of {match, hint, uses}") }
            return []
        }
        var rules: [HintRule] = []
        for (n, item) in items.enumerated() {
            let label = "hints[\(n)]"
            let pairs = mapping(item, label, allowed: ["match", "hint", "uses"])
            guard item.pairs != nil else { continue }
            var match: String?, hint: String?, uses: String?
            for p in pairs {
                switch p.key.scalar {
                case "match": match = text(p.value, "\(label).match")
                case "hint": hint = text(p.value, "\(label).hint")
                case "uses": uses = text(p.value, "\(label).uses")
                default: break
                }
            }
            guard let match, !match.isEmpty else { report(item, "\(label) has no 'match:' (a regular expression)"); continue }
            guard let hint, !hint.isEmpty else { report(item, "\(label) has no 'hint:' (the text to show)"); continue }
            do { rules.append(try HintRule(match: match, hint: hint, uses: uses, position: item.position)) } catch {
                report(item["match"] ?? item, "\(label).match is not a regular expression: \(error.reason)")
            }
        }
        return rules
    }

    mutating func retry(_ node: YAMLNode, _ label: String) -> RetryPolicy {
        var r = RetryPolicy(attempts: 1, backoff: .seconds(1), when: .retryable)
        for p in mapping(node, "\(label): retry", allowed: ["attempts", "backoff", "when"]) {
            switch p.key.scalar {
            case "attempts":
                if let n = p.value.json.intValue, n >= 1 { r.attempts = n } else { report(p.value, "\(label): retry.attempts must be a whole number of at least 1") }
            case "backoff":
                if let t = text(p.value, "backoff") {
                    do { r.backoff = try StepDuration(parsing: t) } catch { report(p.value, "\(label): retry.backoff: \(error.message)") }
                }
            case "when":
                if let w = p.value.scalar.flatMap(RetryPolicy.When.init(rawValue:)) { r.when = w } else {
                    report(p.value, "\(label): retry.when must be 'retryable' or 'always'")
                }
            default: break
            }
        }
        return r
    }
}

extension Template {
    /// A template that is one literal value.
    init(literal: JSONValue) { self.parts = [.expression(.literal(literal), source: literal.encoded())] }
}

import Foundation
import StepJournal
import StepManifest
import StepMask
import StepProtocol

extension Runner {
    /// Every step's environment, and every secret the run grants, before the first step starts.
    static func resolveEnvironmentsAndSecrets(_ p: Setup, _ d: inout Decisions, masker: Masker, resolveSecrets: Bool,
                                              reporter: RunReporter) throws(RunError) {
        var missing: [String] = []
        var cache: [String: String] = [:]
        var wouldNeed = Set<String>()
        for (wf, _) in p.graphs {
            let ctx = EvaluationContext(contexts: ["run": p.contexts.run(workflow: wf.name), "env": RunContexts.env(d.envContexts, workflow: wf.name)])
            for s in wf.steps {
                let key = "\(wf.name)/\(s.id)"
                var envName = p.request.environment
                if let t = s.environment {
                    do {
                        let v = Template.text(of: try t.evaluate(ctx))
                        if !v.isEmpty { envName = v }
                    } catch { throw .invalid(["\(p.manifest.file):\(s.position(of: "environment")): step '\(s.id)': environment: \(error.message)"]) }
                    if let e = envName, p.manifest.environment(named: e) == nil {
                        throw .invalid(["\(p.manifest.file):\(s.position(of: "environment")): step '\(s.id)' runs in environment '\(e)', which \(p.manifest.file) does not define (defined: \(p.manifest.environments.map(\.name).joined(separator: ", ")))"])
                    }
                }
                d.stepEnvironments[key] = envName
                // Untrusted code (a fork's pull request) never sees a secret: the step is skipped instead.
                if !p.context.trusted, !s.secrets.isEmpty { d.withheld[key] = "untrusted: secrets withheld"; continue }
                // A step that cannot start here (not selected by --only/--until) is granted nothing.
                guard resolveSecrets, !s.secrets.isEmpty, d.selection?.contains(step: s.id) ?? true else { continue }
                guard let envName, let env = p.manifest.environment(named: envName) else {
                    missing.append("step '\(s.id)' of workflow '\(wf.name)' is granted secrets (\(s.secrets.map(\.source).joined(separator: ", "))) but runs in no environment: pass --env or set its environment:")
                    continue
                }
                var granted: [String: String] = [:]
                for (name, sourceName) in s.secrets {
                    guard let source = env.secrets.first(where: { $0.name == sourceName }) else {
                        missing.append("secret '\(sourceName)' (step '\(s.id)' of workflow '\(wf.name)') is not defined in environment '\(envName)' of \(p.manifest.file)")
                        continue
                    }
                    let cacheKey = "\(envName)/\(sourceName)"
                    if let v = cache[cacheKey] { granted[name] = v; continue }
                    switch readSecret(source, workspace: p.workspace, environment: p.request.hostEnvironment) {
                    case .failure where source.optional:
                        // Optional and not configured here: the step gets the empty string and decides (notify sends nothing).
                        cache[cacheKey] = ""
                        granted[name] = ""
                    case .success(let v) where v.count < Masker.minimumLength:
                        // It could not be masked without hiding ordinary text; no CI secret store holds one so short.
                        missing.append("secret '\(sourceName)' of environment '\(envName)' (\(source)) is \(v.count) character\(v.count == 1 ? "" : "s") long: a secret of 3 characters or fewer cannot be masked, and is refused")
                    case .success(let v):
                        cache[cacheKey] = v
                        granted[name] = v
                        masker.add(v)
                    case .failure where p.request.dryRun:
                        // A dry run shows what a run would do; it never needs production credentials.
                        cache[cacheKey] = ""
                        granted[name] = ""
                        if wouldNeed.insert(cacheKey).inserted {
                            reporter.report(.warning("dry run: would need \(sourceName) from \(source) (environment '\(envName)'); its steps get an empty value"))
                        }
                    case .failure(let why):
                        missing.append("secret '\(sourceName)' of environment '\(envName)' is missing: \(source) \(why.description)")
                    }
                }
                d.stepSecrets[key] = granted
            }
        }
        // One line per missing secret, however many steps are granted it.
        var seen = Set<String>()
        if !missing.isEmpty { throw .secrets(missing.filter { seen.insert($0).inserted }) }
    }

    struct Why: Error, CustomStringConvertible { var description: String }

    static func readSecret(_ s: SecretSource, workspace: String, environment: [String: String]) -> Result<String, Why> {
        switch s.kind {
        case .env:
            guard let v = environment[s.reference], !v.isEmpty else {
                return .failure(Why(description: environment[s.reference] == nil ? "is not set" : "is empty"))
            }
            return .success(v)
        case .file:
            let path = s.reference.hasPrefix("/") ? s.reference : "\(workspace)/\(s.reference)"
            guard let data = FileManager.default.contents(atPath: path) else { return .failure(Why(description: "cannot be read (\(path))")) }
            var v = String(decoding: data, as: UTF8.self)
            if v.hasSuffix("\n") { v.removeLast() }
            guard !v.isEmpty else { return .failure(Why(description: "is empty")) }
            return .success(v)
        }
    }
}

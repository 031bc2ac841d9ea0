import StepProcess
import Foundation
import StepMask
import StepProtocol
import StepYAML

/// Prepares and runs a manifest. Preparation finds every problem it can before
/// the first step starts (exit status 2); running produces a `RunSummary`.
public enum Runner {
    /// The workspace: `--workspace`, else the git top level holding the manifest, else its folder.
    public static func workspace(for request: RunRequest) async -> String {
        if let w = request.workspace { return realPath(PluginCatalog.absolute(w, request.pluginSearch.currentDirectory)) }
        let dir = (PluginCatalog.absolute(request.manifestPath, request.pluginSearch.currentDirectory) as NSString).deletingLastPathComponent
        if let out = try? await Command.run(["git", "rev-parse", "--show-toplevel"], cwd: dir), out.succeeded {
            return realPath(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return realPath(dir)
    }

    /// The request's manifest as the run record keeps it: relative to the workspace when inside it, else absolute.
    public static func manifestInWorkspace(_ request: RunRequest, workspace: String) -> String {
        let path = realPath(PluginCatalog.absolute(request.manifestPath, request.pluginSearch.currentDirectory))
        return path.hasPrefix(workspace + "/") ? String(path.dropFirst(workspace.count + 1)) : path
    }

    static func realPath(_ p: String) -> String {
        guard let r = realpath(p, nil) else { return p }
        defer { free(r) }
        return String(cString: r)
    }

    /// Loads the manifest and reports all of its problems at once.
    public static func loadManifest(_ path: String, cwd: String) throws(RunError) -> (Manifest, [Diagnostic]) {
        do { return try ManifestLoader.load(file: path) } catch { throw .manifest(error) }
    }

    /// Checks everything and starts the plugins the run needs.
    ///
    /// `allWorkflows` checks every workflow (for `validate`) instead of the
    /// triggered ones; `resolveSecrets` is false for commands that run nothing.
    public static func prepare(_ request: RunRequest, reporter: RunReporter, allWorkflows: Bool = false,
                               resolveSecrets: Bool = true) async throws(RunError) -> PreparedRun {
        let workspace = await workspace(for: request)
        var request = request
        // The resumed run is found first: resuming with another manifest is said as such, whatever that manifest holds.
        let previous = try request.resume.map { ref throws(RunError) in try resumable(ref, workspace: workspace, request: &request) }
        let (manifest, loadProblems) = try loadManifest(request.manifestPath, cwd: request.pluginSearch.currentDirectory)
        var problems = loadProblems.map(\.description)
        var search = request.pluginSearch
        search.manifestDirectory = (PluginCatalog.absolute(request.manifestPath, search.currentDirectory) as NSString).deletingLastPathComponent
        let catalog: PluginCatalog
        do { catalog = try PluginCatalog.load(search) } catch { throw .plugin(error) }
        let context = try await RunContext.resolve(request.context, workspace: workspace, environment: request.hostEnvironment)

        if let env = request.environment, manifest.environment(named: env) == nil {
            let known = manifest.environments.map(\.name)
            throw .usage("--env \(env): \(manifest.file) defines no environment '\(env)'" + (known.isEmpty ? "" : " (defined: \(known.joined(separator: ", ")))"))
        }
        var selected: [WorkflowSpec] = []
        var skipped: [(String, String)] = []
        if let previous, request.workflow == nil {
            for name in previous.workflows {
                guard let wf = manifest.workflow(named: name) else {
                    throw .usage("--resume \(previous.id): \(manifest.file) has no workflow '\(name)' any more")
                }
                selected.append(wf)
            }
        } else if let name = request.workflow, !allWorkflows {
            guard let wf = manifest.workflow(named: name) else {
                throw .usage("\(manifest.file) has no workflow '\(name)' (workflows: \(manifest.workflows.map(\.name).joined(separator: ", ")))")
            }
            selected = [wf]
        } else {
            for wf in manifest.workflows {
                if allWorkflows { selected.append(wf); continue }
                if let why = context.mismatch(wf) { skipped.append((wf.name, why)) } else { selected.append(wf) }
            }
        }
        let graphs = selected.map { ($0, manifest.graph(of: $0)) }

        let masker = Masker()
        let runID = RunRecord.newRunID()
        let relay = ReporterRelay(reporter)
        let pool = PluginPool(
            settings: .init(hostDirectory: request.hostDirectory, workspace: workspace, hostEnvironment: request.hostEnvironment,
                            initTimeout: request.initTimeout, hostVersion: request.hostVersion, reuseProcesses: request.reuseProcesses,
                            masker: masker, passEnv: manifest.passEnv, withheld: manifest.secretVariables),
            onStderrLine: { conn, line in
                let steps = conn.currentSteps
                if steps.isEmpty { relay.report(.stepDebug(step: "plugin \(conn.name)", line: masker.mask(line))) }
                for s in steps { relay.report(.stepDebug(step: s, line: masker.mask(line))) }
            })

        // Which plugin provides each step name: --plugin first, then descriptors.
        var plugins: [String: PluginDescriptor] = [:]
        var descriptions: [String: StepDescription] = [:]
        var capabilities: [String: Capabilities] = [:]
        var startErrors: [PluginError] = []
        // An override names no steps before it starts: if one could not start, no step can be said to be provided by nothing.
        var overrideFailed = false
        for o in catalog.overrides {
            do {
                let r = try await pool.warmUp(o)
                for s in r.steps where plugins[s.name] == nil {
                    plugins[s.name] = o; descriptions[s.name] = s; capabilities[s.name] = r.capabilities
                }
            } catch { startErrors.append(error); overrideFailed = true }
        }
        let used = Set(graphs.flatMap { $0.0.steps.map(\.uses) }).filter { !$0.isEmpty }
        var warmed: [String: InitializeResult] = [:]
        for name in used.sorted() where plugins[name] == nil {
            guard let d = catalog.descriptor(forStep: name) else { continue }
            let result: InitializeResult
            if let r = warmed[d.name] { result = r } else {
                do { result = try await pool.warmUp(d) } catch { startErrors.append(error); continue }
                warmed[d.name] = result
                for s in d.steps ?? [] where !result.steps.contains(where: { $0.name == s }) {
                    startErrors.append(.missingStep(plugin: d.name, step: s, descriptor: d.file, reported: result.steps.map(\.name)))
                }
            }
            plugins[name] = d
            descriptions[name] = result.steps.first { $0.name == name }
            capabilities[name] = result.capabilities
        }
        let available = Array(Set(catalog.knownStepNames + plugins.keys)).sorted()
        for (wf, _) in graphs {
            for s in wf.steps where !s.uses.isEmpty {
                if plugins[s.uses] == nil && catalog.descriptor(forStep: s.uses) == nil {
                    if overrideFailed { continue }
                    let guess = Suggestion.didYouMean(s.uses, in: available)
                    problems.append(Diagnostic(file: manifest.file, position: s.position(of: "uses"),
                                               message: "step '\(s.id)' uses '\(s.uses)', which no plugin provides\(guess) (available: \(available.joined(separator: ", ")))").description)
                    continue
                }
                guard let desc = descriptions[s.uses] else { continue }
                let literal: [String: JSONValue]
                do { literal = try InputResolver.resolve(s.with, schema: desc.inputs, context: nil) } catch {
                    problems.append(Diagnostic(file: manifest.file, position: s.position(of: "with"), message: "step '\(s.id)': \(error.message)").description)
                    continue
                }
                for p in JSONSchema.validate(.object(literal), schema: desc.inputs, path: "with", isOpaque: InputResolver.isExpression) {
                    let pos = InputResolver.position(of: p.path, in: s.with) ?? s.position(of: "with")
                    problems.append(Diagnostic(file: manifest.file, position: pos, message: "step '\(s.id)' (\(s.uses)): \(p.path): \(p.message)").description)
                }
            }
        }
        if !startErrors.isEmpty || !problems.isEmpty {
            await pool.shutdownAll()
            if problems.isEmpty { throw .plugins(startErrors) }
            throw .invalid(startErrors.map(\.description) + problems)
        }

        let prepared = PreparedRun(
            request: request, manifest: manifest, workspace: workspace, context: context, runID: runID, pool: pool, masker: masker,
            catalog: catalog, workflows: graphs, skippedWorkflows: skipped, plugins: plugins, descriptions: descriptions,
            capabilities: capabilities, relay: relay)
        do {
            for (wf, _) in graphs {
                prepared.envContexts[wf.name] = try resolveEnv(manifest.env + wf.env, run: prepared.runContextJSON(workflow: wf.name))
            }
        } catch {
            await pool.shutdownAll()
            throw .invalid(["\(manifest.file): env: \(error.message)"])
        }
        do throws(RunError) {
            try resolveEnvironmentsAndSecrets(prepared, resolveSecrets: resolveSecrets, reporter: reporter)
            if allWorkflows {
                let problems = secretGrantProblems(prepared)
                if !problems.isEmpty { throw RunError.invalid(problems) }
            }
            // Fingerprints go into the run record; commands that run nothing need none.
            if resolveSecrets { computeFingerprints(prepared) }
            if let previous { try planReuse(prepared, previous, reporter: reporter) }
        } catch {
            await pool.shutdownAll()
            throw error
        }
        return prepared
    }

    /// Evaluates `env:` entries in order; each may read `run` and the entries before it.
    static func resolveEnv(_ entries: [EnvEntry], run: JSONValue) throws(ExpressionError) -> [String: String] {
        var env: [String: String] = [:]
        for e in entries {
            var ctx = EvaluationContext(contexts: ["run": run, "env": .object(env.mapValues(JSONValue.string))])
            ctx.success = true
            env[e.name] = Template.text(of: try e.value.evaluate(ctx))
        }
        return env
    }

    /// Every step's environment, and every secret the run grants, before the first step starts.
    static func resolveEnvironmentsAndSecrets(_ p: PreparedRun, resolveSecrets: Bool, reporter: RunReporter) throws(RunError) {
        var missing: [String] = []
        var cache: [String: String] = [:]
        for (wf, _) in p.workflows {
            let ctx = EvaluationContext(contexts: ["run": p.runContextJSON(workflow: wf.name),
                                                  "env": .object((p.envContexts[wf.name] ?? [:]).mapValues(JSONValue.string))])
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
                p.stepEnvironments[key] = envName
                guard resolveSecrets, !s.secrets.isEmpty else { continue }
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
                    case .success(let v):
                        cache[cacheKey] = v
                        granted[name] = v
                        if !p.masker.add(v) {
                            reporter.report(.warning("secret '\(sourceName)' of environment '\(envName)' is 3 characters or fewer and is not masked"))
                        }
                    case .failure(let why):
                        missing.append("secret '\(sourceName)' of environment '\(envName)' is missing: \(source) \(why.description)")
                    }
                }
                p.stepSecrets[key] = granted
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

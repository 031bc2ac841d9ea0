import Foundation
import StepJournal
import StepManifest
import StepMask
import StepPlugins
import StepProcess
import StepProtocol
import StepYAML

/// Prepares and runs a manifest. Preparation finds every problem it can before
/// the first step starts (exit status 2); running produces a `RunSummary`.
public enum Runner {
    /// The workspace: `--workspace`, else the git top level holding the manifest, else its folder.
    public static func workspace(for request: RunRequest) async -> String {
        if let w = request.workspace { return realPath(Paths.absolute(w, request.pluginSearch.currentDirectory)) }
        let dir = (Paths.absolute(request.manifestPath, request.pluginSearch.currentDirectory) as NSString).deletingLastPathComponent
        if let out = try? await Command.run(["git", "rev-parse", "--show-toplevel"], cwd: dir), out.succeeded {
            return realPath(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return realPath(dir)
    }

    /// The request's manifest as the run record keeps it: relative to the workspace when inside it, else absolute.
    public static func manifestInWorkspace(_ request: RunRequest, workspace: String) -> String {
        let path = realPath(Paths.absolute(request.manifestPath, request.pluginSearch.currentDirectory))
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
        let setup = try await select(request, allWorkflows: allWorkflows)
        let masker = Masker()
        // Until the run's journal exists, its events are masked and reported without one.
        let relay = ReporterRelay(RunEventStream(masker: masker, journal: nil, next: reporter))
        var settings = PluginPool.Settings(hostDirectory: setup.request.hostDirectory, workspace: setup.workspace, hostEnvironment: setup.request.hostEnvironment,
                                           initTimeout: setup.request.initTimeout, hostVersion: setup.request.hostVersion,
                                           reuseProcesses: setup.request.reuseProcesses, masker: masker, passEnv: setup.manifest.passEnv,
                                           withheld: setup.manifest.secretVariables)
        settings.multiCall = setup.request.multiCall
        if let dir = setup.request.recordDirectory {
            do {
                settings.recorder = try PluginRecorder(directory: Paths.absolute(dir, setup.request.pluginSearch.currentDirectory), masker: masker,
                                                       warn: { relay.report(.warning($0)) })
            } catch { throw .plugin(error) }
        }
        let pool = PluginPool(
            settings: settings,
            onStderrLine: { conn, line in
                let steps = conn.currentSteps
                // Masked once, as a stream, by the connection (before it was split into lines).
                if steps.isEmpty { relay.report(.stderr(step: "plugin \(conn.name)", line: line)) }
                for s in steps { relay.report(.stderr(step: s, line: line)) }
            })
        let plugins = await startPlugins(setup, pool: pool, inProcess: !resolveSecrets)
        let problems = setup.problems + checkSteps(setup, plugins)
        if !plugins.startErrors.isEmpty || !problems.isEmpty {
            await pool.shutdownAll()
            if problems.isEmpty { throw .plugins(plugins.startErrors) }
            throw .invalid(plugins.startErrors.map(\.description) + problems)
        }
        return try await complete(setup, plugins, pool: pool, masker: masker, relay: relay,
                                  allWorkflows: allWorkflows, resolveSecrets: resolveSecrets)
    }

    /// Prepares a run whose steps `runner` answers, with no plugin process: `steps` say what each
    /// step name takes, as a plugin's `initialize` would. For tests and benchmarks of scheduling.
    public static func prepare(_ request: RunRequest, reporter: RunReporter, steps: [StepDescription],
                               runner: AttemptRunner) async throws(RunError) -> PreparedRun {
        let setup = try await select(request, allWorkflows: false)
        let masker = Masker()
        let pool = PluginPool(settings: .init(hostDirectory: request.hostDirectory, workspace: setup.workspace, hostEnvironment: [:],
                                              initTimeout: 1, hostVersion: request.hostVersion, reuseProcesses: true, masker: masker,
                                              passEnv: [], withheld: []),
                              onStderrLine: { _, _ in })
        let descriptor = PluginDescriptor(name: "in-memory", command: [], steps: steps.map(\.name), file: "(in memory)", origin: .commandLine,
                                          baseDirectory: setup.workspace)
        var plugins = PluginSet()
        for s in steps {
            plugins.descriptors[s.name] = descriptor
            plugins.descriptions[s.name] = s
            plugins.capabilities[s.name] = Capabilities(concurrency: 1_000_000, dryRun: true, cancel: true)
        }
        let problems = setup.problems + checkSteps(setup, plugins)
        if !problems.isEmpty { throw .invalid(problems) }
        return try await complete(setup, plugins, pool: pool, masker: masker,
                                  relay: ReporterRelay(RunEventStream(masker: masker, journal: nil, next: reporter)),
                                  allWorkflows: false, resolveSecrets: true, runner: runner)
    }

    /// What is known before any plugin starts: the workspace, the resumed run, the manifest and
    /// its problems, the plugin catalog, the run's context, and the workflows that will run.
    struct Setup {
        var request: RunRequest
        let workspace: String
        let previous: RunJournal?
        let manifest: Manifest
        let problems: [String]
        let catalog: PluginCatalog
        let context: RunContext
        let graphs: [(spec: WorkflowSpec, graph: WorkflowGraph)]
        let skipped: [(name: String, reason: String)]
        /// `--run-id`, else a new one.
        let runID: String
        /// Said once the run's reporters are there (an untrusted run, `--trust`).
        var warnings: [String] = []
    }

    static func select(_ request: RunRequest, allWorkflows: Bool) async throws(RunError) -> Setup {
        let workspace = await workspace(for: request)
        var request = request
        // The resumed run is found first: resuming with another manifest is said as such, whatever that manifest holds.
        let previous = try request.resume.map { ref throws(RunError) in try resumable(ref, workspace: workspace, request: &request) }
        let (manifest, loadProblems) = try loadManifest(request.manifestPath, cwd: request.pluginSearch.currentDirectory)
        var search = request.pluginSearch
        search.manifestDirectory = (Paths.absolute(request.manifestPath, search.currentDirectory) as NSString).deletingLastPathComponent
        let catalog: PluginCatalog
        do { catalog = try PluginCatalog.load(search) } catch { throw .plugin(error) }
        try checkBundledOverrides(catalog, manifest: manifest, workspace: workspace)
        if let previous { try checkRecordIntegrity(previous, environment: request.hostEnvironment) }
        var warnings: [String] = []
        var context = try await RunContext.resolve(request.context, workspace: workspace, environment: request.hostEnvironment)
        if let why = context.untrustedBecause, request.trust {
            context.trusted = true
            warnings.append("--trust: running the untrusted event \(why) with its secrets and the workspace's plugins")
        }
        // A record is bound to the commit it was made at: a test that passed at another commit proves nothing about this one.
        if let previous, let then = previous.sha, !then.isEmpty, !context.sha.isEmpty, then != context.sha, !request.resumeOtherCommit {
            throw .usage("--resume \(previous.id): that run was made at commit \(then), but \(context.sha) is checked out; its successes say nothing about this commit (--resume-other-commit resumes it anyway)")
        }
        if let why = context.untrustedBecause, context.trusted == false {
            warnings.append("untrusted run (\(why)): no secret is resolved and steps granted secrets are skipped; --trust overrides")
        }

        if let env = request.environment, manifest.environment(named: env) == nil {
            let known = manifest.environments.map(\.name)
            throw .usage("--env \(env): \(manifest.file) defines no environment '\(env)'" + (known.isEmpty ? "" : " (defined: \(known.joined(separator: ", ")))"))
        }
        var selected: [WorkflowSpec] = []
        var skipped: [(name: String, reason: String)] = []
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
        return Setup(request: request, workspace: workspace, previous: previous, manifest: manifest, problems: loadProblems.map(\.description),
                     catalog: catalog, context: context, graphs: selected.map { ($0, manifest.graph(of: $0)) }, skipped: skipped,
                     runID: request.runID ?? RunHistory.newID(), warnings: warnings)
    }

    /// A descriptor from inside the workspace (anyone who can open a pull request can add one) may serve a
    /// bundled step name only when the manifest says so with `override:`; `--plugin` is the caller's own choice.
    static func checkBundledOverrides(_ catalog: PluginCatalog, manifest: Manifest, workspace: String) throws(RunError) {
        let bundled = (try? BundledPlugins.descriptors()) ?? []
        var problems: [String] = []
        for step in bundled.flatMap({ $0.steps ?? [] }).sorted() where !manifest.overrides.contains(step) {
            // (A copy of the bundled descriptor, this repository's own plugins.d, runs the bundled plugin: nothing is replaced.)
            guard let d = catalog.descriptor(forStep: step), d.isFromWorkspace(workspace) else { continue }
            problems.append("\(d.file): descriptor '\(d.name)' claims the bundled step '\(step)'; a plugin from the workspace replaces a bundled step only when \(manifest.file) says `override: [\(step)]` at the top level")
        }
        if !problems.isEmpty { throw .usage(problems.joined(separator: "\n")) }
    }

    /// With `STEPHOST_RECORD_SECRET` set, a resumed record must carry a signature that matches its files.
    static func checkRecordIntegrity(_ record: RunJournal, environment: [String: String]) throws(RunError) {
        guard let secret = environment[RecordSignature.variable], !secret.isEmpty else { return }
        if let problem = RecordSignature.problem(record.directory, secret: secret) { throw .usage("--resume \(record.id): \(problem)") }
    }

    /// Which plugin provides each step name, and what it said of it in `initialize`.
    struct PluginSet {
        var descriptors: [String: PluginDescriptor] = [:]
        var descriptions: [String: StepDescription] = [:]
        var capabilities: [String: Capabilities] = [:]
        var startErrors: [PluginError] = []
        /// An override names no steps before it starts: if one could not start, no step can be said to be provided by nothing.
        var overrideFailed = false
        /// In an untrusted run: step name → the plugin from the workspace that would serve it, not started.
        var untrusted: [String: PluginDescriptor] = [:]
    }

    /// Starts the plugins the run uses, all at once (a plugin's start is mostly the loader's and its
    /// own initialization): `--plugin` overrides first in precedence, then descriptors.
    /// `inProcess`: a command that runs nothing takes a bundled plugin's answer in-process (it starts no process for it).
    static func startPlugins(_ setup: Setup, pool: PluginPool, inProcess: Bool = false) async -> PluginSet {
        var set = PluginSet()
        let used = Set(setup.graphs.flatMap { $0.spec.steps.map(\.uses) }).filter { !$0.isEmpty }
        // Descriptors that may be needed: an override may claim a step name only once it has answered.
        var needed: [PluginDescriptor] = []
        for name in used.sorted() {
            guard let d = setup.catalog.descriptor(forStep: name) else { continue }
            // An untrusted run (a fork's pull request) never starts code from the workspace: its steps are skipped.
            if !setup.context.trusted && d.isFromWorkspace(setup.workspace) { set.untrusted[name] = d; continue }
            if !needed.contains(where: { $0.name == d.name }) { needed.append(d) }
        }
        let overrides = setup.catalog.overrides
        let started = await warmUp(overrides + needed, pool: pool, inProcess: inProcess)
        for (o, result) in zip(overrides, started.prefix(overrides.count)) {
            switch result {
            case .success(let r):
                for s in r.steps where set.descriptors[s.name] == nil {
                    set.descriptors[s.name] = o; set.descriptions[s.name] = s; set.capabilities[s.name] = r.capabilities
                }
            case .failure(let error): set.startErrors.append(error); set.overrideFailed = true
            }
        }
        let results = Dictionary(uniqueKeysWithValues: zip(needed.map(\.name), started.dropFirst(overrides.count)))
        var reported = Set<String>()
        for name in used.sorted() where set.descriptors[name] == nil && set.untrusted[name] == nil {
            guard let d = setup.catalog.descriptor(forStep: name), let result = results[d.name] else { continue }
            switch result {
            case .failure(let error):
                if reported.insert(d.name).inserted { set.startErrors.append(error) }
                continue
            case .success(let r):
                if reported.insert(d.name).inserted {
                    for s in d.steps ?? [] where !r.steps.contains(where: { $0.name == s }) {
                        set.startErrors.append(.missingStep(plugin: d.name, step: s, descriptor: d.file, reported: r.steps.map(\.name)))
                    }
                }
                set.descriptors[name] = d
                set.descriptions[name] = r.steps.first { $0.name == name }
                set.capabilities[name] = r.capabilities
            }
        }
        return set
    }

    /// Starts each descriptor's plugin at the same time; the results in the descriptors' order.
    static func warmUp(_ descriptors: [PluginDescriptor], pool: PluginPool, inProcess: Bool) async -> [Result<InitializeResult, PluginError>] {
        let results = await withTaskGroup(of: (Int, Result<InitializeResult, PluginError>).self) { group in
            for (k, d) in descriptors.enumerated() {
                if inProcess, let r = await pool.describeInProcess(d) { group.addTask { (k, .success(r)) }; continue }
                group.addTask { (k, await Runner.warmUp(d, pool: pool)) }
            }
            var byIndex: [Int: Result<InitializeResult, PluginError>] = [:]
            for await (k, r) in group { byIndex[k] = r }
            return byIndex
        }
        return descriptors.indices.map { results[$0] ?? .failure(.initializeFailed(plugin: descriptors[$0].name, reason: "it was not started", stderr: [])) }
    }

    static func warmUp(_ d: PluginDescriptor, pool: PluginPool) async -> Result<InitializeResult, PluginError> {
        do { return .success(try await pool.warmUp(d)) } catch { return .failure(error) }
    }

    /// Every step's `uses:` is provided, and its literal inputs fit the plugin's schema.
    static func checkSteps(_ setup: Setup, _ plugins: PluginSet) -> [String] {
        var problems: [String] = []
        let manifest = setup.manifest
        let available = Array(Set(setup.catalog.knownStepNames + plugins.descriptors.keys)).sorted()
        for (wf, _) in setup.graphs {
            for s in wf.steps where !s.uses.isEmpty {
                if plugins.descriptors[s.uses] == nil && setup.catalog.descriptor(forStep: s.uses) == nil {
                    if plugins.overrideFailed { continue }
                    let guess = Suggestion.didYouMean(s.uses, in: available)
                    problems.append(Diagnostic(file: manifest.file, position: s.position(of: "uses"),
                                               message: "step '\(s.id)' uses '\(s.uses)', which no plugin provides\(guess) (available: \(available.joined(separator: ", ")))").description)
                    continue
                }
                guard let desc = plugins.descriptions[s.uses] else { continue }
                let literal: [String: JSONValue]
                do { literal = try InputResolver.resolve(s.inputs, schema: desc.inputs, context: nil) } catch {
                    problems.append(Diagnostic(file: manifest.file, position: s.position(of: "with"), message: "step '\(s.id)': \(error.message)").description)
                    continue
                }
                for p in JSONSchema.validate(.object(literal), schema: desc.inputs, path: "with", isOpaque: InputResolver.isExpression) {
                    let pos = InputResolver.position(of: p.path, in: s.with) ?? s.position(of: "with")
                    problems.append(Diagnostic(file: manifest.file, position: pos, message: "step '\(s.id)' (\(s.uses)): \(p.path): \(p.message)").description)
                }
            }
        }
        return problems
    }

    /// The prepared run: env contexts, each step's environment and secrets, fingerprints, and what a resume reuses.
    static func complete(_ setup: Setup, _ plugins: PluginSet, pool: PluginPool, masker: Masker, relay: ReporterRelay,
                         allWorkflows: Bool, resolveSecrets: Bool, runner: AttemptRunner? = nil) async throws(RunError) -> PreparedRun {
        let manifest = setup.manifest
        let reporter: RunReporter = relay
        for w in setup.warnings { reporter.report(.warning(w)) }
        var d = Decisions()
        do throws(RunError) {
            if let id = setup.request.runID {
                let dir = RunHistory(workspace: setup.workspace).directory
                if id.isEmpty || id.contains("/") || id.hasPrefix(".") || id == "last" {
                    throw .usage("--run-id \(id): not a run id (no '/', not starting with '.', not 'last')")
                }
                if FileManager.default.fileExists(atPath: "\(dir)/\(id)") { throw .usage("--run-id \(id): \(dir)/\(id) exists already") }
            }
            for (wf, _) in setup.graphs {
                do { d.envContexts[wf.name] = try resolveEnv(manifest.env + wf.env, run: setup.contexts.run(workflow: wf.name)) } catch {
                    throw .invalid(["\(manifest.file): env: \(error.message)"])
                }
            }
            d.selection = try resolveSelection(setup.request, graphs: setup.graphs, manifest: manifest)
            try resolveEnvironmentsAndSecrets(setup, &d, masker: masker, resolveSecrets: resolveSecrets, reporter: reporter)
            for (wf, _) in setup.graphs {
                for s in wf.steps {
                    guard let p = plugins.untrusted[s.uses] else { continue }
                    d.withheld["\(wf.name)/\(s.id)"] = "untrusted: plugin '\(p.name)' from the workspace (\(p.file)) is not run"
                }
            }
            if allWorkflows {
                let problems = secretGrantProblems(setup, d)
                if !problems.isEmpty { throw RunError.invalid(problems) }
            }
            // Fingerprints go into the run record; commands that run nothing need none.
            if resolveSecrets { d.fingerprints = fingerprints(setup, d) }
            if let previous = setup.previous { try planReuse(previous, &d, reporter: reporter) }
            try checkSelectedNeeds(d.selection, setup.graphs, previous: setup.previous)
        } catch {
            await pool.shutdownAll()
            throw error
        }
        return PreparedRun(setup, plugins, decisions: d, pool: pool, masker: masker, relay: relay, runner: runner)
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
}

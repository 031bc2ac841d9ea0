import Foundation
import StepManifest
import StepProtocol
import StepRun

/// `stephost ci github WORKFLOW --fan-out ID`: a GitHub Actions workflow that runs WORKFLOW in three
/// jobs — prepare (everything the fan-out step needs, then its matrix), one matrix leg per instance
/// (or chunk), and finish (every record merged, the rest run with --resume) — handing run records
/// on as artifacts. Every job installs stephost with the project's action.
struct GitHubFanOutWorkflow {
    var run: PreparedRun
    var split: FanOut.Split
    var fanOut: String
    var runsOn = "ubuntu-latest"
    var action = GitHubFanOutWorkflow.defaultAction
    var chunks: Int?

    static let defaultAction = "stephost-dev/stephost@v1"

    var workflow: WorkflowSpec { run.workflows[0].spec }

    /// How every job's commands name the workflow and the common arguments (from the workflow's `env:`).
    let common = #"--args-json "$STEPHOST_ARGS""#

    /// `stephost` arguments every job repeats (the workflow, the manifest when not the default, the environment,
    /// plugins, `--var`s), as the JSON array `--args-json` takes: values from the repository and the command
    /// line reach stephost through the CI system's environment, never through a script's text.
    static func commonArguments(_ run: PreparedRun) -> [String] {
        let manifest = Runner.manifestInWorkspace(run.request, workspace: run.workspace)
        var out = [run.workflows[0].spec.name]
        if manifest != "stephost.yaml" { out += ["-f", manifest] }
        if let e = run.request.environment { out += ["--env", e] }
        // The plugins it was generated with (a fake in a test, a folder of descriptors) run in every job.
        for o in run.request.pluginSearch.overrides { out += ["--plugin", o.origin.hasPrefix("--plugin ") ? String(o.origin.dropFirst(9)) : "\(o.name)=\(Shell.join(o.command))"] }
        for d in run.request.pluginSearch.directories { out += ["--plugins", d] }
        for (k, v) in run.request.vars.sorted(by: { $0.key < $1.key }) { out += ["--var", "\(k)=\(v)"] }
        return out
    }

    /// The common arguments as a JSON array in which no `$` appears (`\u0024`): GitHub expands `${{ }}`
    /// in `env:` values too, and a JSON reader reads the escape back.
    static func argumentsJSON(_ run: PreparedRun) -> String {
        JSONValue.array(commonArguments(run).map(JSONValue.string)).encoded().replacingOccurrences(of: "$", with: "\\u0024")
    }

    struct GenerationError: Error, CustomStringConvertible { var description: String }

    /// What a job's steps need of GITHUB_TOKEN beyond `contents: read`.
    static func permissions(of steps: [StepSpec]) -> [(name: String, level: String, step: String)] {
        var out: [(String, String, String)] = []
        for s in steps {
            switch s.uses {
            case "bot-pr": out += [("contents", "write", s.id), ("pull-requests", "write", s.id)]
            case "ghcr-push", "sign-image": out.append(("packages", "write", s.id))
            case "notify": out.append(("issues", "write", s.id))
            default: break
            }
        }
        return out
    }

    /// A job's `permissions:` block, least privilege; and whether it must not run on a pull request.
    func permissionBlock(_ stepIDs: [String]) -> (text: String, writes: Bool) {
        let needed = Self.permissions(of: stepIDs.compactMap { workflow.step($0) })
        var levels = ["contents": "read"]
        for p in needed { levels[p.name] = p.level }
        let text = "    permissions:\n" + levels.sorted { $0.key < $1.key }.map { "      \($0.key): \($0.value)\n" }.joined()
        return (text, !needed.isEmpty)
    }

    /// Refuses a workflow that runs only on pull requests but needs a write permission (no job may hold one there).
    func check() throws(GenerationError) {
        let events = Set(workflow.triggers.map(\.event))
        guard events == ["pull_request"], let p = Self.permissions(of: workflow.steps).first else { return }
        throw GenerationError(description: "workflow '\(workflow.name)' runs only on pull_request, but step '\(p.step)' needs \(p.name): \(p.level), which no job holds on a pull request; run it on push or manual instead")
    }

    /// `if:` for a job that holds a write permission: never on a pull request.
    func condition(_ base: String?, writes: Bool) -> String {
        var parts = base.map { [$0] } ?? []
        if writes { parts.append("github.event_name != 'pull_request'") }
        return parts.isEmpty ? "" : "    if: ${{ \(parts.map { parts.count > 1 ? "(\($0))" : $0 }.joined(separator: " && ")) }}\n"
    }

    func text() throws(GenerationError) -> String {
        try check()
        let legs = split.legs.map { "\($0)[${KEY}]" }.joined(separator: ",")
        let needsOfFanOut = run.workflows[0].graph.dependencies[run.workflows[0].graph.index(of: fanOut)!].map { workflow.steps[$0].id }
        let prepared = !split.before.isEmpty
        let preparePermissions = permissionBlock(split.before)
        let legPermissions = permissionBlock(split.legs)
        let finishPermissions = permissionBlock(workflow.steps.map(\.id))
        var y = """
            # Generated by `stephost ci github \(workflow.name) --fan-out \(fanOut)`; generate it again after changing the manifest.
            # prepare: what \(fanOut) needs, then one matrix leg per instance of \(fanOut); each leg runs \(split.legs.joined(separator: ", "))
            # on a machine of its own; finish: every record merged, and the rest of the workflow with --resume.
            name: \(yamlString("stephost \(workflow.name)"))
            \(triggers())
            # Each job declares what it needs of GITHUB_TOKEN; a job that writes never runs on a pull request.
            permissions: {}
            env:
              # The workflow and stephost's options as a JSON array (values reach stephost through here, never a script's text).
              STEPHOST_ARGS: \(yamlString(GitHubFanOutWorkflow.argumentsJSON(run)))
            jobs:
              prepare:
                runs-on: \(yamlString(runsOn))
            \(preparePermissions.text)\(condition(labelCondition, writes: preparePermissions.writes))    outputs:
                  matrix: ${{ steps.plan.outputs.matrix }}
                  matrix-count: ${{ steps.plan.outputs.matrix-count }}
                steps:
            \(setup)
            """
        if prepared {
            y += """
                      - name: \(yamlString("stephost run \(workflow.name) --until \(needsOfFanOut.joined(separator: ","))"))
                \(envBlock(split.before, indent: 8))        run: stephost run \(common) --until \(Shell.quote(needsOfFanOut.joined(separator: ",")))

                """
        }
        y += """
                  - id: plan
                    run: stephost plan \(common) --format github-matrix --step \(Shell.quote(fanOut))\(prepared ? " --resume last" : "")\(chunks.map { " --chunks \($0)" } ?? "") --github-output matrix

            """
        if prepared {
            y += """
                      - uses: actions/upload-artifact@v4
                        with: {name: stephost-prepare, path: .stephost/runs/, include-hidden-files: true, if-no-files-found: error}

                """
        }
        y += """
              legs:
                needs: prepare
            \(condition("needs.prepare.outputs.matrix-count != '0'", writes: legPermissions.writes))    runs-on: \(yamlString(runsOn))
            \(legPermissions.text)    name: ${{ matrix.name }}
                strategy:
                  fail-fast: false
                  matrix: ${{ fromJSON(needs.prepare.outputs.matrix) }}
                steps:
            \(setup)
            """
        if prepared {
            y += """
                      - uses: actions/download-artifact@v4
                        with: {name: stephost-prepare, path: .stephost/runs/}

                """
        }
        y += """
                  - name: ${{ matrix.name }}
                    id: leg
                    env:
                      KEY: ${{ matrix.key }}
            \(envLines(split.legs, indent: 10))        run: |
                      # The leg's artifact is named after its instances (keys may hold characters artifact names may not).
                      echo "artifact=stephost-leg-$(printf '%s' "$KEY" | sha256sum | cut -c1-16)" >> "$GITHUB_OUTPUT"
                      stephost run \(common) --only "\(legs)"\(prepared ? " --resume last" : "")
                  - uses: actions/upload-artifact@v4
                    if: always()
                    with: {name: "${{ steps.leg.outputs.artifact }}", path: .stephost/runs/, include-hidden-files: true, if-no-files-found: error}
              finish:
                needs: [prepare, legs]
                # Also after a failed leg: the rest runs (a failed instance is tried again here) and reports, as one run would.
            \(condition("!cancelled() && needs.prepare.result == 'success'", writes: finishPermissions.writes))    runs-on: \(yamlString(runsOn))
            \(finishPermissions.text)    steps:
            \(setup)      - uses: actions/download-artifact@v4
                    with: {pattern: stephost-*, path: .stephost/runs/, merge-multiple: true}
                  - name: \(yamlString("stephost run \(workflow.name) --resume (every record merged)"))
            \(envBlock(workflow.steps.map(\.id), indent: 8))        run: |
                      if ls .stephost/runs/*/journal.jsonl >/dev/null 2>&1; then
                        stephost runs merge .stephost/runs/* --id merged
                        stephost run \(common) --resume=merged --junit stephost-junit.xml
                      else
                        stephost run \(common) --junit stephost-junit.xml
                      fi
                  - uses: actions/upload-artifact@v4
                    if: always()
                    with: {name: stephost-record, path: .stephost/runs/, include-hidden-files: true, if-no-files-found: ignore}

            """
        return y
    }

    /// Every job's first steps: the checkout (with history, for detect-changes) and stephost.
    var setup: String {
        "      - uses: actions/checkout@v4\n        with: {fetch-depth: 0}\n      - uses: \(action)\n"
    }

    /// The workflow's `on:` as GitHub's: push and pull_request with their filters, manual as workflow_dispatch.
    func triggers() -> String {
        var lines = ["on:"]
        for t in workflow.triggers {
            switch t.event {
            case "push", "pull_request":
                var filters: [String] = []
                if let b = t.branches { filters.append("branches: [\(b.map(yamlString).joined(separator: ", "))]") }
                if let p = t.paths { filters.append("paths: [\(p.map(yamlString).joined(separator: ", "))]") }
                if t.event == "pull_request" && t.labels != nil { filters.append("types: [opened, synchronize, reopened, labeled]") }
                lines.append("  \(t.event):" + (filters.isEmpty ? " {}" : " {\(filters.joined(separator: ", "))}"))
            case "manual": lines.append("  workflow_dispatch: {}")
            default: continue
            }
        }
        if !lines.contains("  workflow_dispatch: {}") { lines.append("  workflow_dispatch: {}") }
        return lines.joined(separator: "\n")
    }

    /// With `labels:` on a pull_request trigger, the jobs run only for a pull request that carries one (or another event).
    var labelCondition: String? {
        let labels = workflow.triggers.filter { $0.event == "pull_request" }.compactMap(\.labels).flatMap { $0 }
        guard !labels.isEmpty else { return nil }
        let any = labels.map { "contains(github.event.pull_request.labels.*.name, \(singleQuoted($0)))" }.joined(separator: " || ")
        return "github.event_name != 'pull_request' || \(any)"
    }

    /// `env:` with the CI secrets the given steps are granted, each into the variable its source reads.
    func envBlock(_ steps: [String], indent: Int) -> String {
        let lines = envLines(steps, indent: indent + 2)
        return lines.isEmpty ? "" : String(repeating: " ", count: indent) + "env:\n" + lines
    }

    func envLines(_ steps: [String], indent: Int) -> String {
        var names = Set<String>()
        var files: [String] = []
        for id in steps {
            guard let s = workflow.step(id), !s.secrets.isEmpty else { continue }
            guard let envName = run.environment(ofStep: workflow.name, id), let env = run.manifest.environment(named: envName) else { continue }
            for (_, sourceName) in s.secrets {
                guard let source = env.secrets.first(where: { $0.name == sourceName }) else { continue }
                switch source.kind {
                case .env where !GitHubFanOutWorkflow.providedByRunner(source.reference): names.insert(source.reference)
                case .env: continue
                case .file: files.append("\(sourceName) (environment \(envName)) is read from \(source.reference): put that file on the runner")
                }
            }
        }
        let pad = String(repeating: " ", count: indent)
        return files.sorted().map { "\(pad)# \($0)\n" }.joined() + names.sorted().map { "\(pad)\($0): ${{ secrets.\($0) }}\n" }.joined()
    }

    /// Variables GitHub's runner sets itself (a secret of that name would override them with nothing).
    static func providedByRunner(_ name: String) -> Bool {
        name == "CI" || (name.hasPrefix("GITHUB_") && name != "GITHUB_TOKEN") || name.hasPrefix("RUNNER_") || name.hasPrefix("ACTIONS_")
    }

    /// A YAML scalar (a JSON string) in which GitHub finds no expression to evaluate.
    func yamlString(_ s: String) -> String { JSONValue.string(s.replacingOccurrences(of: "${{", with: "$ {{")).encoded() }
    func singleQuoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
}

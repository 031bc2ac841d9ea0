import StepManifest
import StepProtocol

extension Runner {
    /// What preparation decides once the plugins have answered, part by part (env contexts, the
    /// selection, each step's environment and secrets, fingerprints, what a resume reuses);
    /// `PreparedRun` freezes it.
    struct Decisions {
        var envContexts: [String: [String: String]] = [:]
        var selection: StepSelection?
        var stepEnvironments: [String: String?] = [:]
        var stepSecrets: [String: [String: String]] = [:]
        var fingerprints: [String: StepFingerprint] = [:]
        var resumedFrom: String?
        var reusable: [String: StepOutcome] = [:]
        /// "workflow/step" → why an untrusted run does not start it (secrets withheld, a plugin from the workspace).
        var withheld: [String: String] = [:]

        /// A step's environment by "workflow/step": its own, else the run's.
        func environment(ofStep key: String, _ request: RunRequest) -> String? {
            PreparedRun.environment(ofStep: key, stepEnvironments, request)
        }
    }
}

extension Runner.Setup {
    /// The `run` context before any step has run.
    func runContextJSON(workflow: String) -> JSONValue {
        PreparedRun.withTrust(PreparedRun.runInfo(id: runID, request: request, context: context, workflow: workflow, failures: []).json, context)
    }

    func vars(for environment: String?) -> JSONValue { PreparedRun.vars(manifest, request, environment: environment) }

    func envContext(of workflow: String, _ d: Runner.Decisions) -> JSONValue {
        PreparedRun.envContext(d.envContexts, workflow)
    }
}

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

    }
}

extension Runner.Setup {
    /// The rules for the run's contexts, known before any plugin starts.
    var contexts: RunContexts { RunContexts(runID: runID, request: request, context: context, manifest: manifest) }
}

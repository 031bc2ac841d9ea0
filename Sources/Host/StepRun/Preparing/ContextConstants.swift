import StepManifest
import StepProtocol

/// The parts of an expression context that do not change from step to step, built once:
/// `env` per workflow, `vars` per environment, and `run` per workflow until another step fails.
struct ContextConstants {
    private var envs: [String: JSONValue] = [:]
    private var vars: [String: JSONValue] = [:]
    private var noEnvironmentVars: JSONValue?
    private var runs: [String: (failures: Int, value: JSONValue)] = [:]

    mutating func env(of workflow: String, _ run: PreparedRun) -> JSONValue {
        if let v = envs[workflow] { return v }
        let v = RunContexts.env(run.envContexts, workflow: workflow)
        envs[workflow] = v
        return v
    }

    mutating func vars(of environment: String?, _ run: PreparedRun) -> JSONValue {
        guard let environment else {
            if let v = noEnvironmentVars { return v }
            let v = run.vars(for: nil)
            noEnvironmentVars = v
            return v
        }
        if let v = vars[environment] { return v }
        let v = run.vars(for: environment)
        vars[environment] = v
        return v
    }

    /// The `env`, `vars` and `run` contexts of a step of `workflow` in `environment`, after `failures`.
    mutating func base(workflow: String, environment: String?, failures: [JSONValue] = [], _ run: PreparedRun) -> EvaluationContext {
        EvaluationContext(contexts: ["env": env(of: workflow, run), "vars": vars(of: environment, run),
                                     "run": self.run(of: workflow, failures: failures, run)])
    }

    /// `failures` only grows during a run, so its count tells whether the cached value is current.
    mutating func run(of workflow: String, failures: [JSONValue], _ run: PreparedRun) -> JSONValue {
        if let c = runs[workflow], c.failures == failures.count { return c.value }
        let v = run.runContextJSON(workflow: workflow, failures: failures)
        runs[workflow] = (failures.count, v)
        return v
    }
}

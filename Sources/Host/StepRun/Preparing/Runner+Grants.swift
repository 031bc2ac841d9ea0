import StepManifest
import StepYAML

extension Runner {
    /// What `run` would stop on for secrets, checked ahead of time for every
    /// workflow (by `validate`), without reading any value: a step granted
    /// secrets must be able to run in an environment that defines all of them.
    ///
    /// - A step with its own `environment:` must find each secret there.
    /// - A step without one must find them in the run's `--env` when one is
    ///   given, else all of them in at least one environment.
    /// - Granting secrets in a manifest without environments is an error.
    static func secretGrantProblems(_ p: Setup, _ d: Decisions) -> [String] {
        let m = p.manifest
        var problems: [String] = []
        func report(_ s: StepSpec, _ message: String) {
            problems.append(Diagnostic(file: m.file, position: s.position(of: "secrets"), message: message).description)
        }
        for (wf, _) in p.graphs {
            for s in wf.steps where !s.secrets.isEmpty {
                let wanted = s.secrets.map(\.source)
                let list = wanted.joined(separator: ", ")
                guard !m.environments.isEmpty else {
                    report(s, "step '\(s.id)' of workflow '\(wf.name)' is granted secrets (\(list)), but \(m.file) defines no environments to take them from; define them under environments:")
                    continue
                }
                func lacking(_ env: EnvironmentSpec) -> [String] {
                    wanted.filter { name in !env.secrets.contains { $0.name == name } }
                }
                if s.environment != nil || p.request.environment != nil {
                    guard let name = d.stepEnvironments["\(wf.name)/\(s.id)"] ?? nil, let env = m.environment(named: name) else { continue }
                    let missing = lacking(env)
                    if !missing.isEmpty {
                        report(s, "step '\(s.id)' of workflow '\(wf.name)' runs in environment '\(name)', which does not define \(missing.map { "'\($0)'" }.joined(separator: ", "))")
                    }
                } else if !m.environments.contains(where: { lacking($0).isEmpty }) {
                    let why = m.environments.map { "\($0.name) lacks \(lacking($0).joined(separator: ", "))" }.joined(separator: "; ")
                    report(s, "step '\(s.id)' of workflow '\(wf.name)' is granted secrets (\(list)) that no environment defines all of (\(why)), so it can run in none")
                }
            }
        }
        return problems
    }
}

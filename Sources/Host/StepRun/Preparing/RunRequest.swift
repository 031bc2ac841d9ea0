import StepPlugins
/// Everything `stephost run` (and validate, plan) needs to know.
public struct RunRequest: Sendable {
    public var manifestPath: String
    public var workflow: String?
    public var environment: String?
    public var jobs: Int
    public var dryRun = false
    public var failFast = false
    /// `--trust`: run an untrusted event (a fork's pull request, `pull_request_target`) with its secrets.
    public var trust = false
    /// `--resume-other-commit`: resume a record made at another commit than the one checked out.
    public var resumeOtherCommit = false
    public var context = RunContext.Options()
    public var workspace: String?
    public var pluginSearch: PluginCatalog.Search
    /// `--var NAME=VALUE`: over the environment's vars.
    public var vars: [String: String] = [:]
    public var initTimeout: Double = 30
    public var cancelGrace: Double = 10
    public var runTimeout: Double?
    public var reuseProcesses = true
    /// `--resume RUN_ID|last`: reuse what that run finished successfully.
    public var resume: String?
    /// `--only SEL`: only these steps (and instances) start; the others are reused from `--resume` or skipped (not selected).
    public var only: StepSelection?
    /// `--record DIR`: every plugin exchange written there (masked), for `--replay`.
    public var recordDirectory: String?
    /// `--run-id ID`: the record's folder name, for CI scripts that hand records on (else a new time-based id).
    public var runID: String?
    /// `--until ID[,ID]`: these steps and everything they need, nothing else.
    public var until: [String] = []
    /// Where the bundled plugins' executables are (next to `stephost`).
    public var hostDirectory: String
    /// The multi-call `stephost` that serves the bundled plugins by name (nil: find their executables).
    public var multiCall: MultiCall?
    public var hostEnvironment: [String: String]
    public var hostVersion: String

    public init(manifestPath: String, jobs: Int, pluginSearch: PluginCatalog.Search, hostDirectory: String,
                hostEnvironment: [String: String], hostVersion: String) {
        self.manifestPath = manifestPath
        self.jobs = jobs
        self.pluginSearch = pluginSearch
        self.hostDirectory = hostDirectory
        self.hostEnvironment = hostEnvironment
        self.hostVersion = hostVersion
    }
}

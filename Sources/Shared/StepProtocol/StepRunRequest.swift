/// `step/run`: run one step (one attempt of one instance).
public struct StepRunRequest: RequestType, Hashable {
    public static let method = "step/run"
    public typealias Response = StepRunResult

    public struct Step: Sendable, Hashable {
        public var id: String
        public var uses: String
        public var attempt: Int
        public var environment: String?
        public init(id: String, uses: String, attempt: Int = 1, environment: String? = nil) {
            self.id = id; self.uses = uses; self.attempt = attempt; self.environment = environment
        }
    }

    public struct Run: Sendable, Hashable {
        public var id: String
        public var workflow: String
        public var environment: String?
        public var event: String
        public var branch: String
        public var sha: String
        public var base: String
        /// The steps that failed before this one started: `{workflow, step, error, hint, hints, attempts}`.
        public var failures: [JSONValue]
        public init(id: String, workflow: String, environment: String?, event: String, branch: String, sha: String, base: String,
                    failures: [JSONValue] = []) {
            self.id = id; self.workflow = workflow; self.environment = environment
            self.event = event; self.branch = branch; self.sha = sha; self.base = base; self.failures = failures
        }

        /// The `run` context of expressions, and `params.run`.
        public var json: JSONValue {
            ["id": .string(id), "workflow": .string(workflow), "environment": environment.map(JSONValue.string) ?? .null,
             "event": .string(event), "branch": .string(branch), "sha": .string(sha), "base": .string(base), "failures": .array(failures)]
        }
    }

    public var step: Step
    public var run: Run
    public var with: [String: JSONValue]
    public var env: [String: String]
    public var secrets: [String: String]
    public var workspace: String
    public var tempDir: String
    public var dryRun: Bool

    public init(step: Step, run: Run, with: [String: JSONValue], env: [String: String] = [:], secrets: [String: String] = [:],
                workspace: String, tempDir: String, dryRun: Bool = false) {
        self.step = step; self.run = run; self.with = with; self.env = env; self.secrets = secrets
        self.workspace = workspace; self.tempDir = tempDir; self.dryRun = dryRun
    }

    public init(json: JSONValue) throws(FieldError) {
        let f = try Fields(json)
        let s = try f.object("step")
        step = Step(id: try s.string("id"), uses: try s.string("uses"), attempt: try s.optionalInt("attempt") ?? 1,
                    environment: try s.optionalString("environment"))
        let r = f.optional("run").flatMap { try? Fields($0, path: "params.run") }
        run = Run(id: (try r?.optionalString("id")) ?? "", workflow: (try r?.optionalString("workflow")) ?? "",
                  environment: try r?.optionalString("environment"), event: (try r?.optionalString("event")) ?? "",
                  branch: (try r?.optionalString("branch")) ?? "", sha: (try r?.optionalString("sha")) ?? "",
                  base: (try r?.optionalString("base")) ?? "", failures: r?.optional("failures")?.arrayValue ?? [])
        let w = f.optional("with") ?? .object([:])
        guard let wo = w.objectValue else {
            throw FieldError(path: "params.with", message: "expected an object")
        }
        with = wo
        env = try f.stringMap("env")
        secrets = try f.stringMap("secrets")
        workspace = try f.optionalString("workspace") ?? ""
        tempDir = try f.optionalString("tempDir") ?? ""
        dryRun = try f.optionalBool("dryRun") ?? false
    }

    public var json: JSONValue {
        ["step": .compactObject(["id": .string(step.id), "uses": .string(step.uses), "attempt": .int(step.attempt),
                                 "environment": step.environment.map(JSONValue.string) ?? .null]),
         "run": run.json,
         "with": .object(with),
         "env": .object(env.mapValues(JSONValue.string)),
         "secrets": .object(secrets.mapValues(JSONValue.string)),
         "workspace": .string(workspace),
         "tempDir": .string(tempDir),
         "dryRun": .bool(dryRun)]
    }
}

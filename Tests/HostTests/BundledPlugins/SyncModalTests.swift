import Foundation
import StepProtocol
import Testing

/// sync-modal with the repository's Registry/modal_app.py, deployed through the fake `modal`
/// CLI (which imports the module with the real modal package, as `modal deploy` does) and
/// checked through the fake SDK.
@Suite("sync-modal", .timeLimit(.minutes(3)), .enabled(if: FakeModal.canDeploy || TestSupport.inCI, "needs the modal package: pip install 'modal<1.7'"))
struct SyncModalTests {
    static let tokens = ["MODAL_TOKEN_ID": "ak-fake-token-id", "MODAL_TOKEN_SECRET": "as-fake-token-secret"]
    static let digestA = "sha256:" + String(repeating: "a1", count: 32)
    static let digestB = "sha256:" + String(repeating: "b2", count: 32)

    static let litellm = """
    name: llm/litellm@1
    image:
      oci: ghcr.io/acme/theory/llm_litellm@\(digestA)
    runtime:
      cpu: "2"
      memory_gb: 2
      timeout_s: 90
    secrets:
      required: [OPENAI_API_KEY, LITELLM_API_BASE]

    """
    static let wordcount = """
    ref: text/wordcount@1
    runtime:
      cpu: 1
      memory: 512Mi
      gpu: none
    image:
      oci: ghcr.io/acme/theory/text_wordcount@\(digestB)
    secrets:
      required: []

    """

    /// A workspace with the repository's Modal module and two registry files.
    func workspace(litellm: String = litellm) throws -> String {
        let ws = TestSupport.tempDir("sync-ws")
        try FileManager.default.createDirectory(atPath: "\(ws)/Registry", withIntermediateDirectories: true)
        for f in ["modal_app.py", "registry.py"] {
            try FileManager.default.copyItem(atPath: "\(TestSupport.repoRoot)/Registry/\(f)", toPath: "\(ws)/Registry/\(f)")
        }
        TestSupport.write("\(ws)/Registry/processors/llm_litellm.yaml", litellm)
        TestSupport.write("\(ws)/Registry/processors/text_wordcount.yaml", Self.wordcount)
        return ws
    }

    func call(_ modal: FakeModal, _ ws: String, _ with: [String: JSONValue], secrets: [String: String] = tokens, dryRun: Bool = false) -> PluginCall {
        var c = PluginCall(plugin: "sync-modal", with: with, workspace: ws, secrets: secrets)
        c.environment = "dev"
        c.env = modal.environment
        c.dryRun = dryRun
        return c
    }

    @Test("deploys the pinned image with the file's secrets and limits as function exec__llm_litellm__v1, then finds it")
    func deploys() async throws {
        let modal = try FakeModal()
        modal.seedSecrets(["REGISTRY_AUTH", "OPENAI_API_KEY", "LITELLM_API_BASE"])
        let ws = try workspace()
        let o = try await call(modal, ws, ["processor": "llm/litellm@1"]).send()
        #expect(o.error == nil, "\(o.transcript)")
        #expect(o.outputs == ["app": "theory-rt", "function": "exec__llm_litellm__v1", "environment": "dev",
                              "image": .string("ghcr.io/acme/theory/llm_litellm@\(Self.digestA)")])

        let calls = modal.calls()
        #expect(modal.argvs().first == ["deploy", "--env", "dev", "-m", "modal_app"])
        #expect(calls.first?["cwd"]?.stringValue == TestSupport.resolvedPath("\(ws)/Registry"), "run in the module's folder")
        let env = calls.first?["env"]?.objectValue ?? [:]
        #expect(env["PROCESSOR_REF"] == "llm/litellm@1")
        #expect(env["IMAGE_REF"] == .string("ghcr.io/acme/theory/llm_litellm@\(Self.digestA)"))
        #expect(env["TOOL_SECRETS"] == "OPENAI_API_KEY,LITELLM_API_BASE")
        #expect(env["MODAL_ENVIRONMENT"] == "dev" && env["MODAL_APP_NAME"] == "theory-rt")
        #expect(env["TIMEOUT_S"] == "90" && env["CPU"] == "2" && env["MEMORY_MIB"] == "2048" && env["GPU"] == nil)
        #expect(env["MODAL_TOKEN_ID"] == "ak-fake-token-id")

        // What the module built, read by the fake from the real modal App: what the registry file says.
        let fn = modal.function("exec__llm_litellm__v1", env: "dev")
        #expect(fn?["image"] == .string("ghcr.io/acme/theory/llm_litellm@\(Self.digestA)"))
        #expect(fn?["registry_secret"] == "REGISTRY_AUTH")
        #expect(fn?["secrets"] == ["OPENAI_API_KEY", "LITELLM_API_BASE"])
        #expect(fn?["cpu"] == 2 && fn?["memory"] == 2048 && fn?["timeout"] == 90)

        // Then the check: Function.from_name(app, name, environment_name=env).hydrate().
        #expect(modal.argvs().last == ["sdk", "Function.from_name", "theory-rt", "exec__llm_litellm__v1", "dev", "hydrate"])
    }

    @Test("a deploy keeps the app's other functions (a modal deploy replaces the whole set)")
    func keepsSiblings() async throws {
        let modal = try FakeModal()
        modal.seedSecrets(["REGISTRY_AUTH", "OPENAI_API_KEY", "LITELLM_API_BASE"])
        let ws = try workspace()
        let first = try await call(modal, ws, ["processor": "text/wordcount@1"]).send()
        #expect(first.error == nil, "\(first.transcript)")
        #expect(modal.function("exec__text_wordcount__v1", env: "dev")?["memory"] == 512)
        let env = modal.calls().first?["env"]
        #expect(env?["GPU"] == "none" && env?["CPU"] == "1" && env?["MEMORY_MIB"] == "512" && env?["TIMEOUT_S"] == nil, "gpu as written; no timeout_s, no TIMEOUT_S")
        #expect(modal.function("exec__text_wordcount__v1", env: "dev")?["gpu"] == .null, "none is no GPU")
        let second = try await call(modal, ws, ["processor": "llm/litellm@1"]).send()
        #expect(second.error == nil, "\(second.transcript)")
        #expect(modal.function("exec__text_wordcount__v1", env: "dev")?["image"] == .string("ghcr.io/acme/theory/text_wordcount@\(Self.digestB)"))
        #expect(modal.function("exec__llm_litellm__v1", env: "dev") != nil)
    }

    @Test("an image given by tag is refused with a message to pin first; modal is not run")
    func refusesTags() async throws {
        let modal = try FakeModal()
        let ws = try workspace(litellm: Self.litellm.replacingOccurrences(of: "@\(Self.digestA)", with: ":latest"))
        let o = try await call(modal, ws, ["processor": "llm/litellm@1"]).send()
        #expect(o.error?.code == .stepFailed)
        #expect(o.error?.message.contains("Registry/processors/llm_litellm.yaml: image 'ghcr.io/acme/theory/llm_litellm:latest' is not pinned") == true, "\(o.transcript)")
        #expect(o.error?.hint?.contains("pin first") == true)
        #expect(modal.calls().isEmpty)
    }

    @Test("a runtime limit that is not a number or a size is an error naming the file and line; modal is not run")
    func badRuntime() async throws {
        let modal = try FakeModal()
        let ws = try workspace(litellm: Self.litellm.replacingOccurrences(of: "memory_gb: 2", with: "memory_gb: lots"))
        let o = try await call(modal, ws, ["processor": "llm/litellm@1"]).send()
        #expect(o.error?.message.hasSuffix("Registry/processors/llm_litellm.yaml:6: runtime.memory_gb must be a number, not \"lots\"") == true, "\(o.transcript)")
        TestSupport.write("\(ws)/Registry/processors/text_wordcount.yaml", Self.wordcount.replacingOccurrences(of: "512Mi", with: "half"))
        let size = try await call(modal, ws, ["processor": "text/wordcount@1"]).send()
        #expect(size.error?.message.hasSuffix("text_wordcount.yaml:4: runtime.memory 'half' is not a size like 2Gi or 512Mi") == true, "\(size.transcript)")
        #expect(modal.calls().isEmpty)
    }

    @Test("a deploy that leaves no such function in that environment fails with a hint about --env")
    func verifyFails() async throws {
        let modal = try FakeModal()
        modal.seedSecrets(["REGISTRY_AUTH", "OPENAI_API_KEY", "LITELLM_API_BASE"])
        modal.fail(["deploy": "no-function"])
        let o = try await call(modal, try workspace(), ["processor": "llm/litellm@1"]).send()
        #expect(o.error?.message.contains("function not found after modal deploy: exec__llm_litellm__v1 is not in app theory-rt of Modal environment dev") == true, "\(o.transcript)")
        #expect(o.error?.hint?.contains("--env") == true)
        // The runbook's row: "function not found" after a deploy.
        let hint = o.error?.hint ?? ""
        #expect(hint.contains("intended Modal environment") && hint.contains("exec__{slug}__v{ver}") && hint.contains("modal deploy completed"), "\(hint)")
    }

    @Test("verify: false skips the check; an unknown environment is the CLI's error with the --env hint")
    func unknownEnvironment() async throws {
        let modal = try FakeModal()
        let o = try await call(modal, try workspace(), ["processor": "llm/litellm@1", "modal-environment": "prod", "verify": false]).send()
        #expect(o.error?.message.contains("Environment 'prod' not found") == true, "\(o.transcript)")
        #expect(o.error?.hint?.contains("--env") == true)
        #expect(!modal.argvs().contains { $0.first == "sdk" })
    }

    @Test("a dry run names the function, image, secrets and limits, and runs nothing")
    func dryRun() async throws {
        let modal = try FakeModal()
        let o = try await call(modal, try workspace(), ["processor": "llm/litellm@1"], dryRun: true).send()
        #expect(o.error == nil, "\(o.transcript)")
        let summary = o.result?.summary ?? ""
        #expect(summary.contains("modal deploy --env dev -m modal_app") && summary.contains("exec__llm_litellm__v1"), "\(summary)")
        #expect(summary.contains("@\(Self.digestA)") && summary.contains("OPENAI_API_KEY, LITELLM_API_BASE") && summary.contains("MEMORY_MIB=2048"))
        #expect(modal.calls().isEmpty)
    }

    @Test("a check that cannot import the modal package says so, rather than passing or blaming --env")
    func checkWithoutSDK() async throws {
        let modal = try FakeModal()
        modal.seedSecrets(["REGISTRY_AUTH", "OPENAI_API_KEY", "LITELLM_API_BASE"])
        let venv = TestSupport.tempDir("venv")
        let made = try await TestSupport.run(["python3", "-m", "venv", "--without-pip", venv], cwd: "/tmp")
        #expect(made.code == 0, "\(made.stderr)")
        var c = call(modal, try workspace(), ["processor": "llm/litellm@1", "python": .string("\(venv)/bin/python")])
        c.env["PYTHONPATH"] = ""
        let o = try await c.send()
        #expect(o.error?.message.contains("cannot import the modal package") == true, "\(o.transcript)")
        #expect(o.error?.hint?.contains("verify: false") == true)
        #expect(modal.argvs().first?.first == "deploy", "the deploy itself ran")
    }

    @Test("no token granted: the CLI's 'Token missing' with the secrets to grant")
    func tokenMissing() async throws {
        let modal = try FakeModal()
        let o = try await call(modal, try workspace(), ["processor": "llm/litellm@1"], secrets: [:]).send()
        #expect(o.error?.message.contains("Token missing") == true, "\(o.transcript)")
        #expect(o.error?.hint?.contains("MODAL_TOKEN_SECRET") == true)
    }
}

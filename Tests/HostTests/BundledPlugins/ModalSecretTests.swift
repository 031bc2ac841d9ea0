import Foundation
import StepProtocol
import Testing

/// modal-secret against the fake `modal` CLI: the real CLI's syntax, values only in a
/// 0600 file that is gone afterwards, the token only in the modal child's environment.
@Suite("modal-secret", .timeLimit(.minutes(2)))
struct ModalSecretTests {
    static let tokens = ["MODAL_TOKEN_ID": "ak-fake-token-id", "MODAL_TOKEN_SECRET": "as-fake-token-secret"]
    static let values = ["REGISTRY_USERNAME": "puller-bot", "REGISTRY_PASSWORD": "ghp_pullToken1234", "OPENAI_API_KEY": "sk-openai-dev-9876"]

    func call(_ modal: FakeModal, _ with: [String: JSONValue], secrets: [String: String] = tokens.merging(values) { $1 },
              environment: String? = "dev", dryRun: Bool = false) -> PluginCall {
        var c = PluginCall(plugin: "modal-secret", with: with, workspace: TestSupport.tempDir("ws"), secrets: secrets)
        c.environment = environment
        c.env = modal.environment
        c.dryRun = dryRun
        return c
    }

    /// Whether the step's temporary folder holds no values file after the answer (whether or not modal got to start).
    func fileRemoved(_ o: PluginCall.Outcome) -> Bool {
        !o.tempDir.isEmpty && ((try? FileManager.default.contentsOfDirectory(atPath: o.tempDir)) ?? []).allSatisfy { !$0.hasPrefix("modal-secret") }
    }

    /// Whether a process still runs with the step's temporary folder on its command line (the modal CLI, given the file).
    func cliRunning(_ o: PluginCall.Outcome) async throws -> Bool {
        try await TestSupport.run(["pgrep", "-f", o.tempDir], cwd: "/tmp").code == 0
    }

    @Test("runs `modal secret create NAME --from-json FILE --env ENV --force`; the values are only in a 0600 file, removed afterwards")
    func creates() async throws {
        let modal = try FakeModal()
        let o = try await call(modal, ["name": "REGISTRY_AUTH", "keys": ["REGISTRY_USERNAME", "REGISTRY_PASSWORD"]]).send()
        #expect(o.error == nil, "\(o.transcript)")
        #expect(o.outputs["name"] == "REGISTRY_AUTH" && o.outputs["environment"] == "dev")
        #expect(o.outputs["keys"] == ["REGISTRY_USERNAME", "REGISTRY_PASSWORD"])

        let calls = modal.calls()
        #expect(calls.count == 1)
        let argv = try #require(modal.argvs().first)
        let call = try #require(calls.first)
        let file = call["file"]?["path"]?.stringValue ?? ""
        #expect(argv == ["secret", "create", "REGISTRY_AUTH", "--from-json", file, "--env", "dev", "--force"])
        #expect(call["file"]?["mode"] == .int(0o600), "the values file is readable by its owner only")
        #expect(try JSONParser.parse(call["file"]?["content"]?.stringValue ?? "") == ["REGISTRY_USERNAME": "puller-bot", "REGISTRY_PASSWORD": "ghp_pullToken1234"])
        #expect(!FileManager.default.fileExists(atPath: file), "the values file is removed")
        #expect(modal.state()["secrets"]?["dev"]?["REGISTRY_AUTH"]?["REGISTRY_PASSWORD"] == "ghp_pullToken1234")

        // The token is in the modal child's environment, and no secret value is in its argv or any other variable.
        let env = call["env"]?.objectValue ?? [:]
        #expect(env["MODAL_TOKEN_ID"] == "ak-fake-token-id" && env["MODAL_TOKEN_SECRET"] == "as-fake-token-secret")
        for value in Self.values.values {
            #expect(!argv.contains { $0.contains(value) })
            #expect(!env.contains { $0.key != "MODAL_TOKEN_ID" && $0.key != "MODAL_TOKEN_SECRET" && $0.value.stringValue?.contains(value) == true })
            #expect(!o.transcript.contains(value), "no value in what the plugin said")
        }
        #expect(env["OPENAI_API_KEY"] == nil && env["REGISTRY_PASSWORD"] == nil)
    }

    @Test("keys default to the name; the environment comes from modal-environment, else the step's")
    func defaults() async throws {
        let modal = try FakeModal()
        let o = try await call(modal, ["name": "OPENAI_API_KEY", "modal-environment": "staging"], environment: "dev").send()
        #expect(o.error == nil, "\(o.transcript)")
        #expect(modal.argvs().first?.suffix(3) == ["--env", "staging", "--force"])
        #expect(modal.state()["secrets"]?["staging"]?["OPENAI_API_KEY"] == ["OPENAI_API_KEY": "sk-openai-dev-9876"])
    }

    @Test("a key the step was not granted, or no environment at all, is invalid input naming it; modal is not run")
    func invalid() async throws {
        let modal = try FakeModal()
        let missing = try await call(modal, ["name": "LITELLM_API_BASE"]).send()
        #expect(missing.error?.code == .invalidParams)
        #expect(missing.error?.message.contains("LITELLM_API_BASE not granted") == true, "\(missing.transcript)")
        let noEnv = try await call(modal, ["name": "OPENAI_API_KEY"], environment: nil).send()
        #expect(noEnv.error?.code == .invalidParams)
        #expect(noEnv.error?.message.contains("modal-environment") == true)
        #expect(modal.calls().isEmpty)
    }

    @Test("without a Modal token the CLI's 'Token missing' becomes an error that says which secrets to grant")
    func tokenMissing() async throws {
        let modal = try FakeModal()
        let o = try await call(modal, ["name": "OPENAI_API_KEY"], secrets: Self.values).send()
        #expect(o.error?.code == .stepFailed)
        #expect(o.error?.message.contains("Token missing") == true, "\(o.transcript)")
        #expect(o.error?.hint?.contains("MODAL_TOKEN_ID") == true)
        #expect(o.error?.retryable == false)
        #expect(fileRemoved(o), "the values file is removed when modal fails")
    }

    @Test("'Could not connect to the Modal server' is retryable, with a hint about the network")
    func noConnection() async throws {
        let modal = try FakeModal()
        modal.fail(["secret": "no-connect"])
        let o = try await call(modal, ["name": "OPENAI_API_KEY"]).send()
        #expect(o.error?.message.contains("Could not connect to the Modal server") == true, "\(o.transcript)")
        #expect(o.error?.retryable == true)
        #expect(o.error?.hint?.contains("network") == true)
    }

    @Test("a CLI that never answers is stopped at the plugin's own timeout, with its children, and the file is removed")
    func timeout() async throws {
        let modal = try FakeModal()
        modal.fail(["secret": "hang"])
        let o = try await call(modal, ["name": "OPENAI_API_KEY", "timeout": "2s"]).send(timeout: 30)
        #expect(o.error?.message.contains("did not finish within 2 s") == true, "\(o.transcript)")
        #expect(o.error?.retryable == true)
        #expect(fileRemoved(o))
        #expect(try await !cliRunning(o), "the hung CLI is gone")
    }

    @Test("cancelled while modal runs: -32800, the CLI stopped, the file removed")
    func cancel() async throws {
        let modal = try FakeModal()
        modal.fail(["secret": "hang"])
        var c = call(modal, ["name": "OPENAI_API_KEY"])
        c.cancelWhen = { modal.calls().count == 1 }
        let o = try await c.send(timeout: 30)
        #expect(o.error?.code == .requestCancelled, "\(o.transcript)")
        #expect(fileRemoved(o))
        #expect(try await !cliRunning(o), "the CLI is stopped")
    }

    @Test("a dry run says what it would set and runs nothing")
    func dryRun() async throws {
        let modal = try FakeModal()
        let o = try await call(modal, ["name": "REGISTRY_AUTH", "keys": ["REGISTRY_USERNAME", "REGISTRY_PASSWORD"]], dryRun: true).send()
        #expect(o.error == nil)
        #expect(o.result?.summary?.contains("would set Modal secret REGISTRY_AUTH (REGISTRY_USERNAME, REGISTRY_PASSWORD) in environment dev") == true)
        #expect(modal.calls().isEmpty)
    }
}

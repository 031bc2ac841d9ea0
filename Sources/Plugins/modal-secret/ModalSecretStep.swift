import Foundation
import Modal
import PluginKit
import StepProcess
import StepProtocol
#if canImport(Glibc)
import Glibc
#endif

enum ModalSecretStep {
    static let description = StepDescription(
        name: "modal-secret",
        description: "Create or replace one Modal secret in one Modal environment from the step's granted secrets",
        inputs: [
            "type": "object", "additionalProperties": false, "required": ["name"],
            "properties": [
                "name": ["type": "string", "description": "the Modal secret's name, e.g. OPENAI_API_KEY"],
                "keys": ["type": "array", "items": ["type": "string"], "description": "the granted secrets it holds (default [name])"],
                "modal-environment": ["type": "string", "description": "Modal environment (default: the step's environment)"],
                "timeout": ["type": "string", "description": "how long modal may take before it is stopped (default 30s; the CLI itself waits about a minute on a dead network)"],
                "modal": ["type": "string", "description": "the modal executable (default: modal in PATH)"],
            ],
        ],
        outputs: ["name": "the secret's name", "environment": "the Modal environment", "keys": "the key names it holds (never values)"])

    @Sendable static func run(_ step: StepContext) async throws -> StepRunResult {
        guard let name = step.with["name"]?.stringValue, !name.isEmpty else { throw ResponseError.invalidInput("with.name", "the Modal secret needs a name") }
        let keys = step.with["keys"]?.arrayValue?.compactMap(\.stringValue) ?? [name]
        guard !keys.isEmpty else { throw ResponseError.invalidInput("with.keys", "a secret needs at least one key") }
        let cli = try ModalCLI(step)
        let timeout = try step.seconds("timeout", default: 30)
        let missing = keys.filter { (step.request.secrets[$0] ?? "").isEmpty }
        if !missing.isEmpty {
            throw ResponseError.invalidInput("with.keys", "\(missing.joined(separator: ", ")) not granted to this step; add \(missing.count == 1 ? "it" : "them") to the step's secrets:")
        }
        let outputs: [String: JSONValue] = ["name": .string(name), "environment": .string(cli.modalEnvironment), "keys": .array(keys.map(JSONValue.string))]
        let tokens = ModalCLI.missingTokens(step)
        if step.isDryRun {
            let note = tokens.isEmpty ? "" : " (MODAL_TOKEN_ID and MODAL_TOKEN_SECRET are not granted: the CLI would need its own credentials)"
            return StepRunResult(outputs: outputs, summary: "would set Modal secret \(name) (\(keys.joined(separator: ", "))) in environment \(cli.modalEnvironment)\(note)", changed: false)
        }
        if !tokens.isEmpty { step.log("\(tokens.joined(separator: ", ")) not granted: modal uses its own configuration", level: .warning) }

        // The values only ever sit in a 0600 file of the step's own, removed whatever happens next.
        let file = step.temporaryPath("modal-secret") + ".json"
        var values: [String: JSONValue] = [:]
        for k in keys { values[k] = .string(step.request.secrets[k] ?? "") }
        try writePrivate(JSONValue.object(values).encoded(), to: file)
        defer { unlink(file) }

        let argv = [cli.executable, "secret", "create", name, "--from-json", file, "--env", cli.modalEnvironment, "--force"]
        let shown = "modal secret create \(name) --env \(cli.modalEnvironment)"
        step.log("$ \(shown) --from-json <0600 file> --force")
        let result = try await step.capture(argv, environment: cli.environment, timeout: timeout)
        cli.log(result, to: step)
        guard result.succeeded && !result.timedOut else { throw cli.failure(shown, result, timeout: timeout) }
        return StepRunResult(outputs: outputs, summary: "Modal secret \(name) (\(keys.joined(separator: ", "))) set in environment \(cli.modalEnvironment)")
    }

    /// Creates `path` with mode 0600 (never readable by others, not even for a moment) and writes `text`.
    static func writePrivate(_ text: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ResponseError.stepFailed("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let failed = FileDescriptor.writeAll(fd, Array(text.utf8))
        guard failed == 0 else { unlink(path); throw ResponseError.stepFailed("cannot write \(path): \(String(cString: strerror(failed)))") }
    }
}

import Foundation
import PluginKit
import StepProtocol

/// How a plugin runs the `modal` CLI for one step: which executable, with which
/// environment (the plugin's own plus the Modal token the step was granted, and
/// nothing else of the step's secrets), and what a failure means.
public struct ModalCLI: Sendable {
    /// `modal`, or the path given in the step's `modal` input.
    public let executable: String
    /// The environment of every `modal` child: the only place the token goes.
    public let environment: [String: String]
    /// The Modal environment (`dev`, `staging`, `main`) the step works in.
    public let modalEnvironment: String

    public static let tokenNames = ["MODAL_TOKEN_ID", "MODAL_TOKEN_SECRET"]

    public init(_ step: StepContext) throws {
        executable = step.with["modal"]?.stringValue ?? "modal"
        var env = step.childEnvironment
        for name in ModalCLI.tokenNames { env[name] = step.request.secrets[name] }
        environment = env
        guard let name = step.with["modal-environment"]?.stringValue ?? step.request.step.environment ?? step.request.run.environment,
              !name.isEmpty else {
            throw ResponseError.invalidInput("with.modal-environment",
                                             "no Modal environment: give modal-environment, or run the step in an environment (environment: dev, or --env dev)")
        }
        modalEnvironment = name
    }

    /// The granted token names that are missing (the CLI would answer "Token missing").
    public static func missingTokens(_ step: StepContext) -> [String] {
        tokenNames.filter { (step.request.secrets[$0] ?? "").isEmpty }
    }

    /// A step failure for a `modal` command that did not succeed, with the hint its output calls for.
    public func failure(_ command: String, _ result: StepContext.ProcessResult, timeout: Double?) -> ResponseError {
        let output = result.stdout + "\n" + result.stderr
        let outputs: [String: JSONValue] = ["exitCode": .int(result.exitCode)]
        if result.timedOut {
            return .stepFailed("`\(command)` did not finish within \(Int(timeout ?? 0)) s; the Modal server did not answer",
                               hint: "check the runner's network and proxy (HTTPS_PROXY) can reach api.modal.com, or raise the step's timeout input",
                               retryable: true, exitCode: result.exitCode, outputs: outputs)
        }
        if output.contains("Token missing") {
            return .stepFailed("`\(command)`: Token missing — the modal CLI has no Modal credentials",
                               hint: "grant the step MODAL_TOKEN_ID and MODAL_TOKEN_SECRET (secrets: [MODAL_TOKEN_ID, MODAL_TOKEN_SECRET]) from the environment's secrets; `modal token new` makes a token",
                               retryable: false, exitCode: result.exitCode, outputs: outputs)
        }
        if output.contains("Could not connect to the Modal server") {
            return .stepFailed("`\(command)`: Could not connect to the Modal server",
                               hint: "check the runner's network and proxy (HTTPS_PROXY) can reach api.modal.com; retried when the step has retry:",
                               retryable: true, exitCode: result.exitCode, outputs: outputs)
        }
        let last = ModalCLI.lastLine(output)
        if output.range(of: "environment", options: .caseInsensitive) != nil && output.range(of: "not found", options: .caseInsensitive) != nil {
            return .stepFailed("`\(command)`: \(last)",
                               hint: "check --env / modal-environment: '\(modalEnvironment)' must be an environment of the Modal workspace (`modal environment list`)",
                               retryable: false, exitCode: result.exitCode, outputs: outputs)
        }
        return .stepFailed("`\(command)` failed (\(result.status)): \(last)", exitCode: result.exitCode, outputs: outputs)
    }

    /// The last non-empty line of a command's output (what the modal CLI says went wrong).
    static func lastLine(_ text: String) -> String {
        let frame: Set<Character> = ["─", "│", "╭", "╮", "╰", "╯", " "]
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        return lines.last { !$0.isEmpty && !$0.allSatisfy { frame.contains($0) } } ?? "(no output)"
    }

    /// Logs a captured command's output, line by line (the step's masker hides secrets).
    public func log(_ result: StepContext.ProcessResult, to step: StepContext) {
        for line in (result.stdout + result.stderr).split(separator: "\n") where !line.allSatisfy(\.isWhitespace) { step.log(String(line)) }
    }
}

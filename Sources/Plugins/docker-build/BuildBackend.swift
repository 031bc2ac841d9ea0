import Foundation
import OCI
import PluginKit
import StepProtocol

/// What one build needs, whatever builds it.
struct Build {
    let step: StepContext
    let context: String
    let dockerfile: String
    let image: String
    let tags: [String]
    let platform: String
    let buildArgs: [String]
    /// The fixed time of every timestamp (reproducible builds), or nil.
    let epoch: Int?
    let output: String

    /// The plugin's environment, with SOURCE_DATE_EPOCH for reproducible builds.
    var environment: [String: String] {
        var env = step.childEnvironment
        if let epoch { env["SOURCE_DATE_EPOCH"] = "\(epoch)" }
        return env
    }

    /// Runs a command whose output goes to the log; a non-zero exit fails the step.
    func run(_ argv: [String], env: [String: String]? = nil, hint: String? = nil) async throws {
        let r = try await step.runProcess(argv, cwd: context, environment: env ?? environment)
        guard r.succeeded else {
            // A FROM image in a private registry, pulled with credentials it refused: the runbook's first row.
            let refused = OCIError.refusedCredentials(r.stderr)
            throw ResponseError.stepFailed("\((argv[0] as NSString).lastPathComponent) \(argv.dropFirst().prefix(2).joined(separator: " ")) exited with \(r.status)"
                                           + (refused ? ": the registry refused the credentials (invalid username/password)" : ""),
                                           hint: refused ? OCIError.credentialsHint : hint, exitCode: r.exitCode)
        }
    }
}

/// A way to build an image into an OCI layout.
protocol BuildBackend: Sendable {
    var name: String { get }
    func build(_ b: Build) async throws
}

import Foundation
import StepProtocol

/// git, run for a step in one repository: output captured, cancellation honoured,
/// a failure reported with the command and what git printed.
public struct Git: Sendable {
    public let step: StepContext
    /// The directory git runs in.
    public let directory: String
    /// `git` from PATH, or the absolute path the step gave.
    public let executable: String
    /// The environment of every git command (the plugin's, without the protocol's variables).
    public var environment: [String: String]

    public init(step: StepContext, directory: String, executable: String = "git") {
        self.step = step
        self.directory = directory
        self.executable = executable
        var env = step.childEnvironment
        // Never stop for a password prompt: a missing credential is an error, not a hang.
        env["GIT_TERMINAL_PROMPT"] = "0"
        env["LC_ALL"] = "C"
        self.environment = env
    }

    /// Runs `git ARGS`; a non-zero exit throws a step failure that quotes git's stderr.
    @discardableResult
    public func run(_ args: [String], env extra: [String: String] = [:], hint: String? = nil) async throws -> String {
        let r = try await attempt(args, env: extra)
        guard r.succeeded else { throw Git.failure(args, r, hint: hint) }
        return r.stdout
    }

    /// The step failure for a git command that did not succeed: the command and what git printed.
    public static func failure(_ args: [String], _ r: StepContext.ProcessResult, hint: String? = nil) -> ResponseError {
        let said = r.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        return .stepFailed("git \(args.prefix(3).joined(separator: " ")) failed (\(r.status))\(said.isEmpty ? "" : ": \(said)")", hint: hint)
    }

    /// Runs `git ARGS` and returns its result, whatever its exit status.
    public func attempt(_ args: [String], env extra: [String: String] = [:]) async throws -> StepContext.ProcessResult {
        var env = environment
        for (k, v) in extra { env[k] = v }
        return try await step.capture([executable] + args, cwd: directory, environment: env)
    }

    /// The top folder of the repository that holds `directory`.
    public func topLevel() async throws -> String {
        try await run(["rev-parse", "--show-toplevel"], hint: "run the step in a git checkout (the workspace or its cwd must be inside one)")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The commit a revision names, or nil when git does not know it.
    public func commit(_ rev: String) async throws -> String? {
        let r = try await attempt(["rev-parse", "--verify", "--quiet", "--end-of-options", "\(rev)^{commit}"])
        return r.succeeded ? r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }
}

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
    var platform: String
    let buildArgs: [String]
    /// The fixed time of every timestamp (reproducible builds), or nil.
    let epoch: Int?
    var output: String

    /// The same build for another platform, into another layout.
    func with(platform: String, output: String) -> Build {
        var b = self
        b.platform = platform
        b.output = output
        return b
    }

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
    /// One image per platform, into one layout whose tags name an OCI image index of them.
    func build(_ b: Build, platforms: [OCIPlatform]) async throws
    /// Whether it builds on another machine (which then needs the emulators, not this one).
    var isRemote: Bool { get }
}

extension BuildBackend {
    var isRemote: Bool { false }

    /// Each platform built on its own (reproducibly, as a single image), then gathered into one index.
    func build(_ b: Build, platforms: [OCIPlatform]) async throws {
        var parts: [(platform: OCIPlatform, layout: OCILayout)] = []
        var dirs: [String] = []
        defer { for d in dirs { try? FileManager.default.removeItem(atPath: d) } }
        for p in platforms {
            let dir = b.step.temporaryPath("layout-\(p.key.replacingOccurrences(of: "/", with: "-"))")
            dirs.append(dir)
            try DockerBuildStep.prepareOutput(dir)
            b.step.log("building for \(p)")
            try await build(b.with(platform: p.description, output: dir))
            parts.append((p, try OCILayout(directory: dir)))
        }
        _ = try OCILayout.assembleIndex(parts, into: b.output, tags: b.tags)
    }
}

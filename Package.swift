// swift-tools-version:6.0
import PackageDescription

// Foundation only: no package dependencies, by design (see README).
let package = Package(
    name: "stephost",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "stephost", targets: ["stephost"]),
        .library(name: "PluginKit", targets: ["PluginKit"]),
    ],
    targets: [
        // Shared by host and plugins: JSON, JSON-RPC 2.0, line framing, protocol v1 types.
        .target(name: "StepProtocol", path: "Sources/Shared/StepProtocol", linkerSettings: [.linkedLibrary("m")]),
        // Child processes: posix_spawn, process groups, concurrent drains, teardown. Host and plugins use it.
        .target(name: "StepProcess", path: "Sources/Shared/StepProcess"),
        // Secret masking: the forms of a value and a streaming masker. Host and plugins use it.
        .target(name: "StepMask", dependencies: ["StepProtocol"], path: "Sources/Shared/StepMask"),
        // Which files changed between two commits: one rule for the paths: trigger and detect-changes.
        .target(name: "StepChanges", path: "Sources/Shared/StepChanges"),
        // HTTP on Foundation's URLSession (libcurl): the plugins' registry and API calls, the host's trace export.
        .target(name: "StepHTTP", dependencies: ["StepProtocol"], path: "Sources/Shared/StepHTTP"),
        // The YAML 1.2 subset parser with source positions.
        .target(name: "StepYAML", dependencies: ["StepProtocol"], path: "Sources/Shared/StepYAML"),
        // The host, bottom up; each target imports only those above it here (the compiler holds the design).
        // The pipeline's model: the manifest and its loader, expressions, workflow graphs, a step's outcome and fingerprint.
        .target(name: "StepManifest", dependencies: ["StepProtocol", "StepYAML"], path: "Sources/Host/StepManifest"),
        // Plugins: descriptors and the catalog, a plugin process's connection and the pool, the CI context they may see, --record.
        .target(name: "StepPlugins", dependencies: ["StepManifest", "StepProtocol", "StepYAML", "StepProcess", "StepMask"], path: "Sources/Host/StepPlugins"),
        // A run's events (one vocabulary, one codec, masked once) and its journal: writer, reader, history, signature.
        .target(name: "StepJournal", dependencies: ["StepManifest", "StepProtocol", "StepProcess", "StepMask"], path: "Sources/Host/StepJournal"),
        // Preparing a run (selection, contexts, secrets, resume) and scheduling it (executor, retries, runners); scale-out.
        .target(name: "StepRun", dependencies: ["StepManifest", "StepPlugins", "StepJournal", "StepProtocol", "StepYAML", "StepProcess", "StepMask", "StepChanges"],
                path: "Sources/Host/StepRun"),
        // Figures over recorded runs (`stephost stats`) and a run as an OpenTelemetry trace.
        .target(name: "StepMetrics", dependencies: ["StepManifest", "StepJournal", "StepProtocol"], path: "Sources/Host/StepMetrics"),
        // Tools for plugin authors and manifests: plugin check, the replayer, manifest and descriptor schemas.
        .target(name: "StepAuthoring", dependencies: ["StepPlugins", "StepProtocol", "StepProcess"], path: "Sources/Host/StepAuthoring"),
        // The reporters: a run's events as a terminal, GitHub Actions, Buildkite and JUnit read them.
        .target(name: "StepReporting", dependencies: ["StepManifest", "StepJournal", "StepProtocol", "StepProcess"], path: "Sources/Host/StepReporting"),
        // One multi-call executable: the host, and each bundled plugin when started by its name (stephost-exec, …).
        .executableTarget(
            name: "stephost",
            dependencies: ["StepManifest", "StepPlugins", "StepJournal", "StepRun", "StepMetrics", "StepAuthoring", "StepReporting",
                           "StepHTTP", "StepMask", "StepProcess", "StepProtocol", "StepYAML", "ExecPlugin", "DetectChangesPlugin", "DockerBuildPlugin", "GHCRPushPlugin",
                           "PinDigestPlugin", "BotPRPlugin", "ModalSecretPlugin", "SyncModalPlugin", "SmokeTestPlugin", "NotifyPlugin"],
            path: "Sources/Host/stephost"),

        // libFuzzer targets for the YAML parser, the framer and decoder, expressions and the masker (scripts/fuzz.sh).
        .target(name: "StepFuzz", dependencies: ["StepManifest", "StepMask", "StepYAML", "StepProtocol"], path: "Sources/Host/StepFuzz"),
        .executableTarget(name: "stephost-fuzz", dependencies: ["StepFuzz"], path: "Sources/Host/stephost-fuzz"),
        // The scheduler's own cost, every attempt answered in memory (benchmarks/run.sh).
        .executableTarget(name: "stephost-bench", dependencies: ["StepJournal", "StepRun", "StepMask", "StepProtocol"], path: "Sources/Host/stephost-bench"),

        .target(name: "PluginKit", dependencies: ["StepProtocol", "StepProcess", "StepMask"], path: "Sources/Plugins/PluginKit"),
        // Processor registry files (refs, image references, byte-preserving edits) and OCI layouts and pushes.
        .target(name: "ProcessorRegistry", dependencies: ["StepProtocol", "StepYAML", "StepProcess", "PluginKit"], path: "Sources/Plugins/ProcessorRegistry"),
        .target(name: "OCI", dependencies: ["StepProtocol", "PluginKit", "StepHTTP"], path: "Sources/Plugins/OCI"),
        .target(name: "ExecPlugin", dependencies: ["PluginKit", "StepMask", "StepProtocol"], path: "Sources/Plugins/exec"),
        .target(name: "DetectChangesPlugin", dependencies: ["PluginKit", "StepChanges", "StepProtocol"], path: "Sources/Plugins/detect-changes"),
        .target(name: "DockerBuildPlugin", dependencies: ["PluginKit", "OCI", "StepProtocol"], path: "Sources/Plugins/docker-build"),
        .target(name: "GHCRPushPlugin", dependencies: ["PluginKit", "OCI", "StepProcess", "StepProtocol"], path: "Sources/Plugins/ghcr-push"),
        .target(name: "PinDigestPlugin", dependencies: ["PluginKit", "ProcessorRegistry", "StepProtocol"], path: "Sources/Plugins/pin-digest"),
        // GitHub's REST API as bot-pr and notify call it.
        .target(name: "GitHub", dependencies: ["StepProtocol", "PluginKit", "StepHTTP"], path: "Sources/Plugins/GitHub"),
        .target(name: "BotPRPlugin", dependencies: ["PluginKit", "GitHub", "StepProtocol"], path: "Sources/Plugins/bot-pr"),
        .target(name: "NotifyPlugin", dependencies: ["PluginKit", "GitHub", "StepHTTP", "StepProtocol"], path: "Sources/Plugins/notify"),
        // The modal CLI as the Modal plugins run it: the token only in its environment, failures with hints.
        .target(name: "Modal", dependencies: ["StepProtocol", "PluginKit"], path: "Sources/Plugins/Modal"),
        .target(name: "ModalSecretPlugin", dependencies: ["PluginKit", "Modal", "StepProcess", "StepProtocol"], path: "Sources/Plugins/modal-secret"),
        .target(name: "SyncModalPlugin", dependencies: ["PluginKit", "Modal", "ProcessorRegistry", "StepProtocol"], path: "Sources/Plugins/sync-modal"),
        .target(name: "SmokeTestPlugin", dependencies: ["PluginKit", "StepHTTP", "StepProtocol"], path: "Sources/Plugins/smoke-test"),
        .executableTarget(name: "stephost-fake-plugin", dependencies: ["PluginKit", "StepProtocol"], path: "Sources/Plugins/fake-plugin"),

        .testTarget(name: "StepProtocolTests", dependencies: ["StepProtocol"], path: "Tests/StepProtocolTests"),
        .testTarget(name: "StepMaskTests", dependencies: ["StepMask", "StepProtocol"], path: "Tests/StepMaskTests"),
        .testTarget(name: "StepYAMLTests", dependencies: ["StepYAML", "StepProcess", "StepProtocol"], path: "Tests/StepYAMLTests", exclude: ["corpus"]),
        .testTarget(
            name: "HostTests",
            dependencies: ["StepManifest", "StepPlugins", "StepJournal", "StepRun", "StepHTTP", "StepMask", "StepProcess", "StepProtocol", "StepYAML", "stephost", "stephost-fake-plugin", "StepFuzz"],
            path: "Tests/HostTests"),
    ],
    swiftLanguageModes: [.v6]
)

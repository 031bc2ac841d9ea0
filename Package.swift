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
        // Manifest, expressions, graph, scheduler, plugin processes, secrets, reports.
        .target(name: "StepHost", dependencies: ["StepProtocol", "StepYAML", "StepProcess", "StepMask", "StepChanges"], path: "Sources/Host/StepHost"),
        // The bundled plugins are dependencies so that `swift run stephost` builds them next to it.
        .executableTarget(
            name: "stephost",
            dependencies: ["StepHost", "StepHTTP", "StepMask", "StepProcess", "StepProtocol", "StepYAML", "stephost-exec", "stephost-detect-changes", "stephost-docker-build", "stephost-ghcr-push",
                           "stephost-pin-digest", "stephost-bot-pr", "stephost-modal-secret", "stephost-sync-modal", "stephost-smoke-test", "stephost-notify"],
            path: "Sources/Host/stephost"),

        // libFuzzer targets for the YAML parser, the framer and decoder, expressions and the masker (scripts/fuzz.sh).
        .target(name: "StepFuzz", dependencies: ["StepHost", "StepMask", "StepYAML", "StepProtocol"], path: "Sources/Host/StepFuzz"),
        .executableTarget(name: "stephost-fuzz", dependencies: ["StepFuzz"], path: "Sources/Host/stephost-fuzz"),
        // The scheduler's own cost, every attempt answered in memory (benchmarks/run.sh).
        .executableTarget(name: "stephost-bench", dependencies: ["StepHost", "StepMask", "StepProtocol"], path: "Sources/Host/stephost-bench"),

        .target(name: "PluginKit", dependencies: ["StepProtocol", "StepProcess", "StepMask"], path: "Sources/Plugins/PluginKit"),
        // Processor registry files (refs, image references, byte-preserving edits) and OCI layouts and pushes.
        .target(name: "ProcessorRegistry", dependencies: ["StepProtocol", "StepYAML", "StepProcess", "PluginKit"], path: "Sources/Plugins/ProcessorRegistry"),
        .target(name: "OCI", dependencies: ["StepProtocol", "PluginKit", "StepHTTP"], path: "Sources/Plugins/OCI"),
        .executableTarget(name: "stephost-exec", dependencies: ["PluginKit", "StepMask", "StepProtocol"], path: "Sources/Plugins/exec"),
        .executableTarget(name: "stephost-detect-changes", dependencies: ["PluginKit", "StepChanges", "StepProtocol"], path: "Sources/Plugins/detect-changes"),
        .executableTarget(name: "stephost-docker-build", dependencies: ["PluginKit", "OCI", "StepProtocol"], path: "Sources/Plugins/docker-build"),
        .executableTarget(name: "stephost-ghcr-push", dependencies: ["PluginKit", "OCI", "StepProtocol"], path: "Sources/Plugins/ghcr-push"),
        .executableTarget(name: "stephost-pin-digest", dependencies: ["PluginKit", "ProcessorRegistry", "StepProtocol"], path: "Sources/Plugins/pin-digest"),
        // GitHub's REST API as bot-pr and notify call it.
        .target(name: "GitHub", dependencies: ["StepProtocol", "PluginKit", "StepHTTP"], path: "Sources/Plugins/GitHub"),
        .executableTarget(name: "stephost-bot-pr", dependencies: ["PluginKit", "GitHub", "StepProtocol"], path: "Sources/Plugins/bot-pr"),
        .executableTarget(name: "stephost-notify", dependencies: ["PluginKit", "GitHub", "StepHTTP", "StepProtocol"], path: "Sources/Plugins/notify"),
        // The modal CLI as the Modal plugins run it: the token only in its environment, failures with hints.
        .target(name: "Modal", dependencies: ["StepProtocol", "PluginKit"], path: "Sources/Plugins/Modal"),
        .executableTarget(name: "stephost-modal-secret", dependencies: ["PluginKit", "Modal", "StepProcess", "StepProtocol"], path: "Sources/Plugins/modal-secret"),
        .executableTarget(name: "stephost-sync-modal", dependencies: ["PluginKit", "Modal", "ProcessorRegistry", "StepProtocol"], path: "Sources/Plugins/sync-modal"),
        .executableTarget(name: "stephost-smoke-test", dependencies: ["PluginKit", "StepHTTP", "StepProtocol"], path: "Sources/Plugins/smoke-test"),
        .executableTarget(name: "stephost-fake-plugin", dependencies: ["PluginKit", "StepProtocol"], path: "Sources/Plugins/fake-plugin"),

        .testTarget(name: "StepProtocolTests", dependencies: ["StepProtocol"], path: "Tests/StepProtocolTests"),
        .testTarget(name: "StepMaskTests", dependencies: ["StepMask", "StepProtocol"], path: "Tests/StepMaskTests"),
        .testTarget(name: "StepYAMLTests", dependencies: ["StepYAML", "StepProcess", "StepProtocol"], path: "Tests/StepYAMLTests", exclude: ["corpus"]),
        .testTarget(
            name: "StepHostTests",
            dependencies: ["StepHost", "StepProcess", "StepProtocol", "StepYAML", "stephost", "stephost-exec", "stephost-fake-plugin", "StepFuzz"],
            path: "Tests/StepHostTests"),
    ],
    swiftLanguageModes: [.v6]
)

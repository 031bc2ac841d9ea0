import Foundation
import StepProtocol
import Testing

/// Tests/Fixtures/fake-modal copied into a folder of its own: the `modal` CLI stand-in
/// (put first in PATH), the SDK stand-in sync-modal's check imports (on PYTHONPATH),
/// and their shared state and call log.
struct FakeModal {
    let root: String

    init() throws {
        root = TestSupport.tempDir("fake-modal")
        let fixture = "\(TestSupport.repoRoot)/Tests/Fixtures/fake-modal"
        try TestSupport.copyTree(fixture, to: root, skipping: ["__pycache__"])
    }

    /// Whether the real `modal` package (which the fake's deploy imports modules with) is installed.
    static let haveModalPackage = TestSupport.pythonImports("modal")

    /// Tests that deploy need the real package; CI installs it, so there they never skip.
    static let canDeploy = haveModalPackage || ProcessInfo.processInfo.environment["CI"] != nil

    /// The environment that puts the fakes first: PATH (the CLI, then stephost's build) and PYTHONPATH (the SDK).
    var environment: [String: String] {
        ["PATH": "\(root)/bin:\(TestSupport.binDir):\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")",
         "PYTHONPATH": "\(root)/sdk"]
    }

    /// Makes the fake fail: `["secret": "no-connect"]`, `["*": "hang"]` (see the fixture's docstring).
    func fail(_ modes: [String: String]) {
        TestSupport.write("\(root)/fail", modes.map { "\($0.key)=\($0.value)" }.joined(separator: "\n") + "\n")
    }

    /// Every call, oldest first: argv, cwd, env, and for --from-json the file's path, mode and content.
    func calls() -> [JSONValue] {
        ((try? String(contentsOfFile: "\(root)/log.jsonl", encoding: .utf8)) ?? "").split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
    }

    /// The CLI calls' argv (SDK checks have argv[0] "sdk").
    func argvs() -> [[String]] { calls().map { ($0["argv"]?.arrayValue ?? []).compactMap(\.stringValue) } }

    /// The "server": secrets and deployed functions per environment.
    func state() -> JSONValue {
        (try? JSONParser.parse((try? String(contentsOfFile: "\(root)/state.json", encoding: .utf8)) ?? "null")) ?? .null
    }

    /// A function as deployed: image, secrets, cpu, memory, timeout.
    func function(_ name: String, env: String, app: String = "theory-rt") -> JSONValue? { state()["apps"]?[env]?[app]?[name] }

    /// Secrets already in Modal, as `modal secret create` would leave them.
    func seedSecrets(_ names: [String], envs: [String] = ["dev", "staging", "main"]) {
        var secrets: [String: JSONValue] = [:]
        for e in envs { secrets[e] = .object(Dictionary(uniqueKeysWithValues: names.map { ($0, JSONValue.object([$0: "seeded"])) })) }
        let state: JSONValue = ["environments": ["dev", "staging", "main"], "secrets": .object(secrets), "apps": [:]]
        TestSupport.write("\(root)/state.json", state.encoded())
    }
}

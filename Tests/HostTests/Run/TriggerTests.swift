import Foundation
import StepProtocol
import Testing

/// Which workflows an event starts.
@Suite("stephost run: triggers", .timeLimit(.minutes(2)))
struct TriggerTests: EndToEndSuite {
    @Test("triggers: branches, paths against git diff, labels; others are skipped (not triggered)")
    func triggers() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        workflows:
          processors:
            on: {push: {branches: [main], paths: ["code/processors/**"]}}
            steps: [{id: p, uses: exec, with: {run: "true"}}]
          docs:
            on: {push: {paths: ["docs/**"]}}
            steps: [{id: d, uses: exec, with: {run: "true"}}]
          labelled:
            on: {pull_request: {labels: [run-acceptance]}}
            steps: [{id: l, uses: exec, with: {run: "true"}}]
        """, "code/processors/a/main.py": "1\n", "docs/index.md": "# x\n"])
        let base = try await TestSupport.run(["git", "rev-parse", "HEAD"], cwd: dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let head = try await TestSupport.commit(dir, ["code/processors/a/main.py": "2\n"])
        let r = try await TestSupport.stephost(["run", "--event", "push", "--branch", "main", "--base", base, "--head", head, "--json"], cwd: dir)
        #expect(r.code == 0, "\(r.stderr)")
        let s = try summary(r)
        #expect(s["workflows"] == ["processors"])
        #expect(r.stderr.contains("workflow docs: skipped (not triggered) — no changed path matches [\"docs/**\"]"), "\(r.stderr)")
        #expect(s["skippedWorkflows"]?.arrayValue?.contains { $0["name"] == "docs" && $0["reason"] == "not triggered" } == true)
        #expect(s["workflow"] == "processors")
        let pr = try await TestSupport.stephost(["run", "--event", "pull_request", "--label", "run-acceptance", "--base", base, "--head", head, "--json"], cwd: dir)
        #expect(try summary(pr)["workflows"] == ["labelled"])
        let unknown = try await TestSupport.stephost(["run", "--event", "push", "--base", "0123456789abcdef0123456789abcdef01234567"], cwd: dir)
        #expect(unknown.code == 2 && unknown.stderr.contains("git does not know this revision"))
        let none = try await TestSupport.stephost(["run", "--event", "push", "--branch", "dev", "--base", base, "--head", head], cwd: dir)
        #expect(none.code == 0 && none.stdout.contains("no workflow triggered"))
    }
}

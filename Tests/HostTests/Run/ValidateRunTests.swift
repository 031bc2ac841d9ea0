import Foundation
import StepProtocol
import Testing

/// Validation errors, found before anything runs.
@Suite("stephost validate and run: problems found before a step runs", .timeLimit(.minutes(2)))
struct ValidateRunTests: EndToEndSuite {
    @Test("validation errors name file, line and column, and exit 2 before any step runs")
    func validation() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        workflows:
          w:
            steps:
              - {id: first, uses: exec, with: {run: "touch ran.txt"}}
              - {id: typo, uses: exce}
              - {id: bad-input, uses: exec, with: {run: "x", shell: bash}}
              - {id: cyc1, uses: exec, needs: [cyc2]}
              - {id: cyc2, uses: exec, needs: [cyc1]}
        """])
        let r = try await TestSupport.stephost(["run", "w"], cwd: dir)
        #expect(r.code == 2)
        #expect(r.stderr.contains("stephost.yaml:5:26: step 'typo' uses 'exce', which no plugin provides; did you mean 'exec'? (available: bot-pr, detect-changes, docker-build, exec,"), "\(r.stderr)")
        #expect(r.stderr.contains("stephost.yaml:6:54: step 'bad-input' (exec): with.shell: unknown input 'shell'"))
        #expect(r.stderr.contains("form a cycle"))
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/ran.txt"))
        let v = try await TestSupport.stephost(["validate"], cwd: dir)
        #expect(v.code == 2 && v.stderr.contains("which no plugin provides"))
    }

    @Test("validate accepts a good manifest with every workflow")
    func validateOK() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": "workflows:\n  a:\n    steps: [{id: x, uses: exec, with: {run: 'true'}}]\n  b:\n    on: {push: {}}\n    steps: [{id: y, uses: exec, with: {argv: [\"true\"]}}]\n"])
        let v = try await TestSupport.stephost(["validate"], cwd: dir)
        #expect(v.code == 0 && v.stdout.contains("ok (2 workflows, 2 steps)"), "\(v.output)")
    }
}

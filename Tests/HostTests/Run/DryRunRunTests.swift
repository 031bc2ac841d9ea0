import Foundation
import StepProtocol
import Testing

/// A dry run: plugins say what they would do, and nothing changes.
@Suite("stephost run --dry-run", .timeLimit(.minutes(2)))
struct DryRunRunTests: EndToEndSuite {
    @Test("a dry run sends dryRun, skips plugins without it, and changes nothing")
    func dryRun() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        workflows:
          w:
            steps:
              - {id: touch, uses: exec, with: {run: "touch created.txt"}}
              - {id: echo, uses: fake}
              - {id: nodry, uses: nodry}
        """])
        let r = try await TestSupport.stephost(["run", "w", "--dry-run", "--plugin", fake,
                                                "--plugin", "nodry=\(TestSupport.fake) --no-dry-run --steps nodry", "--json"], cwd: dir)
        #expect(r.code == 0, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/created.txt"))
        let s = try summary(r)
        #expect(steps(s)["touch"]?["summary"]?.stringValue?.contains("would run `touch created.txt`") == true)
        #expect(steps(s)["echo"]?["outputs"]?["dryRun"] == true)
        #expect(reason(s, "nodry") == "no dry run")
        let status = try await TestSupport.run(["git", "status", "--porcelain", "--ignored"], cwd: dir)
        #expect(!status.stdout.contains("created.txt"))
    }

    @Test("a dry run prints each step's resolved inputs; a read-only exec step runs in it, so later steps see its outputs")
    func dryRunInputs() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        env: {GREETING: hello}
        workflows:
          w:
            steps:
              - {id: list, uses: exec, with: {run: "echo 'items=[\\"a\\",\\"b\\"]' >> $STEPHOST_OUTPUT", read-only: true}}
              - {id: each, uses: exec, for-each: "${{ fromJSON(steps.list.outputs.items) }}",
                 with: {run: "touch ${{ item }}.txt", env: {SAY: "${{ env.GREETING }} ${{ item }}"}}}
        """])
        let r = try await TestSupport.stephost(["run", "w", "--dry-run"], cwd: dir)
        #expect(r.code == 0, "\(r.output)")
        #expect(r.output.contains(#"[each[a]] with {"env":{"SAY":"hello a"},"run":"touch a.txt"}"#), "\(r.output)")
        #expect(r.output.contains(#"[each[b]] with {"env":{"SAY":"hello b"},"run":"touch b.txt"}"#))
        #expect(r.output.contains("[list] would run") && r.output.contains("ran (read-only) in the dry run"), "a dry run never says success")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/a.txt"), "the other steps only say what they would do")
    }
}

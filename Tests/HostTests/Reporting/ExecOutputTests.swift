import Foundation
import StepProtocol
import Testing

/// exec's output as a reader of a CI log sees it: in the order the command wrote it, a failure's last
/// lines in its error and annotation, and a failed live group that says so.
@Suite("exec output: order, a failure's last lines, failed groups", .timeLimit(.minutes(3)))
struct ExecOutputTests {
    static let interleaved = "echo 1-out; echo 2-err >&2; echo 3-out; echo 4-err >&2; echo 5-out"

    @Test("stdout and stderr interleaved keep their order in 100 instances (the default: one stream, as a terminal)")
    func order() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
            workflows:
              w:
                steps:
                  - id: a
                    uses: exec
                    for-each: ${{ fromJSON('[\((0..<100).map { "\"k\($0)\"" }.joined(separator: ","))]') }}
                    with: {run: '\(Self.interleaved)'}
            """])
        let r = try await TestSupport.stephost(["run", "w", "-j", "4", "-q"], cwd: dir, timeout: 180)
        #expect(r.code == 0, "\(r.output)")
        let run = try #require(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/.stephost/runs").first)
        var reordered: [String] = []
        for k in 0..<100 {
            let log = try String(contentsOfFile: "\(dir)/.stephost/runs/\(run)/logs/a[k\(k)].log", encoding: .utf8)
            let lines = log.split(separator: "\n").map(String.init).filter { $0.contains("-out") || $0.contains("-err") }
            if lines != ["1-out", "2-err", "3-out", "4-err", "5-out"] { reordered.append("k\(k): \(lines)") }
        }
        #expect(reordered.isEmpty, "reordered: \(reordered.prefix(5))")
    }

    @Test("stderr: separate keeps stderr apart, its lines as warnings")
    func separate() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
            workflows:
              w:
                steps:
                  - {id: a, uses: exec, with: {run: 'echo out-line; echo err-line >&2', stderr: separate}}
            """])
        let r = try await TestSupport.stephost(["run", "w"], cwd: dir)
        #expect(r.code == 0 && r.stdout.contains("[a] out-line") && r.stdout.contains("[a] warning: err-line"), "\(r.output)")
    }

    @Test("a failed command's error carries its last 5 lines, masked; so does its GitHub annotation; the live group is followed by a ❌ title")
    func failureLines() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
            environments:
              ci:
                secrets: {TOKEN: env:EXEC_TOKEN}
            workflows:
              w:
                steps:
                  - id: a
                    uses: exec
                    environment: ci
                    secrets: [TOKEN]
                    with: {run: 'for i in 1 2 3 4 5 6 7; do echo "line $i"; done; echo "token is $TOKEN" >&2; exit 2'}
            """])
        let r = try await TestSupport.stephost(["run", "w", "--json"], cwd: dir, env: ["EXEC_TOKEN": "exec-token-4321"])
        #expect(r.code == 1)
        let error = try r.summary()["steps"]?.arrayValue?.first?["error"]?.stringValue ?? ""
        #expect(error == "command exited with exit status 2; its last lines:\n  line 4\n  line 5\n  line 6\n  line 7\n  token is ***", "\(error)")
        #expect(!r.output.contains("exec-token-4321"))

        let gh = try await TestSupport.stephost(["run", "w"], cwd: dir, env: ["EXEC_TOKEN": "exec-token-4321", "GITHUB_ACTIONS": "true"])
        let lines = gh.stdout.split(separator: "\n").map(String.init)
        let annotation = try #require(lines.first { $0.hasPrefix("::error title=a failed::") })
        #expect(annotation.hasSuffix("its last lines:%0A  line 4%0A  line 5%0A  line 6%0A  line 7%0A  token is ***"), "\(annotation)")
        let end = try #require(lines.firstIndex(of: "::endgroup::"))
        #expect(lines[end + 1].hasPrefix("❌ ") && lines[end + 1].hasSuffix(" a (exec)"), "\(gh.stdout)")

        let bk = try await TestSupport.stephost(["run", "w", "--ci", "buildkite"], cwd: dir, env: ["EXEC_TOKEN": "exec-token-4321"])
        let bkLines = bk.stdout.split(separator: "\n").map(String.init)
        let titled = try #require(bkLines.firstIndex { $0.hasPrefix("--- ❌ ") && $0.hasSuffix(" a (exec)") }, "\(bk.stdout)")
        #expect(bkLines[titled...].contains("^^^ +++") && bkLines[titled...].contains { $0.contains("error: command exited with exit status 2") })
    }
}

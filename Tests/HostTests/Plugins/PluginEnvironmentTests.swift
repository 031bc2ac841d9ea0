import Foundation
import StepProtocol
import Testing

/// What a plugin process sees, which plugin serves a step, and how processes are reused.
@Suite("stephost run: plugin processes and their environment", .timeLimit(.minutes(2)))
struct PluginEnvironmentTests: EndToEndSuite {
    @Test("exec: the CI context, pass-env and STEPHOST_* reach the command; tokens and secret sources never do")
    func execEnvironment() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        pass-env: [DEPLOY_REGION, "TEAM_*", LEAKED_SOURCE]
        environments:
          dev:
            secrets: {TOKEN: env:LEAKED_SOURCE}
        workflows:
          w:
            steps:
              - id: show
                uses: exec
                for-each: [one]
                with: {run: 'env | grep -E "^(CI|GITHUB_|RUNNER_|BUILDKITE_|DEPLOY_|TEAM_|OTHER_|LEAKED_|STEPHOST_(RUN_ID|STEP|WORKSPACE)=)" | sort > "$STEPHOST_WORKSPACE/env.txt"'}
        """])
        let env = ["CI": "true", "GITHUB_REF_NAME": "main", "GITHUB_TOKEN": "ghs_secret", "RUNNER_OS": "Linux",
                   "BUILDKITE_AGENT_ACCESS_TOKEN": "bk-secret", "BUILDKITE_BRANCH": "main", "DEPLOY_REGION": "eu",
                   "TEAM_NAME": "core", "OTHER_VAR": "no", "LEAKED_SOURCE": "a-secret-value"]
        let r = try await TestSupport.stephost(["run", "w", "--json"], cwd: dir, env: env)
        #expect(r.code == 0, "\(r.stderr)")
        let id = try #require(try summary(r)["id"]?.stringValue)
        let seen = try String(contentsOfFile: "\(dir)/env.txt", encoding: .utf8).split(separator: "\n").map(String.init)
        let workspace = try #require(seen.first { $0.hasPrefix("STEPHOST_WORKSPACE=") })
        #expect(seen.filter { !$0.hasPrefix("STEPHOST_WORKSPACE=") } == [
            "BUILDKITE_BRANCH=main", "CI=true", "DEPLOY_REGION=eu", "GITHUB_REF_NAME=main", "RUNNER_OS=Linux",
            "STEPHOST_RUN_ID=\(id)", "STEPHOST_STEP=show[one]", "TEAM_NAME=core",
        ])
        #expect(FileManager.default.fileExists(atPath: String(workspace.dropFirst("STEPHOST_WORKSPACE=".count)) + "/env.txt"))
    }

    @Test("plugin environment is minimal: host variables reach a plugin only when its descriptor names them")
    func minimalEnvironment() async throws {
        let dir = try await TestSupport.gitRepo([
            "stephost.yaml": "workflows:\n  w:\n    steps:\n      - {id: e, uses: exec, with: {run: 'echo \"[$HOST_ONLY] [$STEPHOST_PROTOCOL]\"'}}\n      - {id: p, uses: printenv}\n",
            "plugins.d/printenv.yaml": "name: printenv\ncommand: [\"\(TestSupport.fake)\", --steps, printenv]\nsteps: [printenv]\nenv: [ALLOWED_VAR]\n",
        ])
        let r = try await TestSupport.stephost(["run", "w", "--json"], cwd: dir, env: ["HOST_ONLY": "leak", "ALLOWED_VAR": "ok"])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stderr.contains("[] []"), "exec's command sees neither host-only variables nor the protocol marker")
    }

    @Test("--plugin replaces a bundled plugin entirely")
    func overrideBundled() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": "workflows:\n  w:\n    steps:\n      - {id: e, uses: exec, with: {outputs: {faked: true}}}\n"])
        let r = try await TestSupport.stephost(["run", "w", "--plugin", "exec=\(TestSupport.fake) --steps exec", "--json"], cwd: dir)
        #expect(r.code == 0, "\(r.stderr)")
        #expect(steps(try summary(r))["e"]?["outputs"]?["faked"] == true)
    }

    @Test("a plugin process serves many steps; --fresh-process starts one per step")
    func processReuse() async throws {
        let record = "\(TestSupport.tempDir("rec"))/calls.txt"
        let dir = try await TestSupport.gitRepo(["stephost.yaml": "workflows:\n  w:\n    steps:\n" +
            (1...5).map { "      - {id: s\($0), uses: fake}\n" }.joined()])
        let plugin = "fake=\(TestSupport.fake) --record \(record)"
        _ = try await TestSupport.stephost(["run", "w", "--plugin", plugin], cwd: dir)
        let starts = try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("start") }
        #expect(starts.count == 1)
        try FileManager.default.removeItem(atPath: record)
        _ = try await TestSupport.stephost(["run", "w", "--fresh-process", "--plugin", plugin], cwd: dir)
        let fresh = try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("start") }
        #expect(fresh.count == 5, "one process per step (the first is the one started to check inputs)")
    }

    @Test("the Python example plugin runs in the quickstart pipeline")
    func quickstart() async throws {
        let dir = try await TestSupport.gitRepo([:])
        _ = try await TestSupport.run(["cp", "-R", "\(TestSupport.repoRoot)/examples", "\(dir)/examples"], cwd: dir)
        let r = try await TestSupport.stephost(["run", "-f", "examples/quickstart/stephost.yaml", "--json"], cwd: dir)
        #expect(r.code == 0, "\(r.stderr)")
        let st = steps(try summary(r))
        #expect(st["stats[reverse]"]?["outputs"]?["lines"] == 4)
        #expect(st["stats[echo]"]?["outputs"]?["sha256"]?["examples/quickstart/processors/echo/main.py"]?.stringValue?.count == 64)
        #expect(r.stderr.contains("artifacts: {\"echo\":"))
    }
}

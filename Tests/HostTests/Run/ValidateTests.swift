import Foundation
import Testing

/// `stephost validate` reports what `stephost run` would stop on, before anything runs; and every misspelt name gets "did you mean".
@Suite("validate is the run's checks, ahead of time", .timeLimit(.minutes(1)))
struct ValidateTests {
    static let secrets = """
    environments:
      dev:
        secrets: {A: env:A_DEV}
      main:
        secrets: {B: env:B_MAIN}
    workflows:
      w:
        steps:
          - {id: both, uses: exec, secrets: [A, B], with: {run: "true"}}
          - {id: own, uses: exec, environment: dev, secrets: [B], with: {run: "true"}}
          - {id: fine, uses: exec, secrets: [A], with: {run: "true"}}
    """

    @Test("a step granted secrets that no environment holds all of, or that its own environment lacks, fails validate as it would fail run")
    func secretGrants() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": Self.secrets])
        let v = try await TestSupport.stephost(["validate"], cwd: dir)
        #expect(v.code == 2)
        #expect(v.stderr.contains("stephost.yaml:9:41: step 'both' of workflow 'w' is granted secrets (A, B) that no environment defines all of (dev lacks B; main lacks A), so it can run in none"), "\(v.stderr)")
        #expect(v.stderr.contains("stephost.yaml:10:58: step 'own' of workflow 'w' runs in environment 'dev', which does not define 'B'"))
        #expect(!v.stderr.contains("'fine'"), "fine can run in dev")
        // run stops on the same steps, with every value present.
        let r = try await TestSupport.stephost(["run", "w", "--env", "dev"], cwd: dir, env: ["A_DEV": "value-a-dev", "B_MAIN": "value-b-main"])
        #expect(r.code == 2)
        #expect(r.stderr.contains("secret 'B' (step 'both' of workflow 'w') is not defined in environment 'dev'"), "\(r.stderr)")
        // --env checks the steps without their own environment against that one exactly.
        let main = try await TestSupport.stephost(["validate", "--env", "main"], cwd: dir)
        #expect(main.stderr.contains("step 'fine' of workflow 'w' runs in environment 'main', which does not define 'A'"), "\(main.stderr)")
        #expect(!main.stderr.contains("value-"), "validate reads no secret value")
    }

    @Test("validate and plan take a bundled plugin's steps in-process (no plugin process starts) and still check inputs against them; run starts it")
    func bundledInProcess() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
            workflows:
              w:
                steps:
                  - {id: a, uses: exec, with: {run: "true"}}
                  - {id: b, uses: detect-changes, with: {paths: 7}}
            """])
        // The guardian logs every process the host starts (git, plugins) with its argv[0]; a bundled plugin's is stephost-NAME.
        let log = "\(TestSupport.tempDir("guard"))/guard.log"
        let v = try await TestSupport.stephost(["validate"], cwd: dir, env: ["STEPHOST_GUARD_LOG": log])
        #expect(v.code == 2)
        #expect(v.stderr.contains("step 'b' (detect-changes): with.paths"), "\(v.stderr)")
        let p = try await TestSupport.stephost(["plan", "w", "--only", "a"], cwd: dir, env: ["STEPHOST_GUARD_LOG": log])
        #expect(p.code == 2, "plan checks the same inputs: \(p.output)")
        #expect(!((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("stephost-"), "a plugin process was started: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        TestSupport.write("\(dir)/stephost.yaml", "workflows:\n  w:\n    steps:\n      - {id: a, uses: exec, with: {run: \"true\"}}\n")
        let r = try await TestSupport.stephost(["run", "w"], cwd: dir, env: ["STEPHOST_GUARD_LOG": log])
        #expect(r.code == 0, "\(r.output)")
        #expect(((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("stephost-exec"), "run starts the plugin")
    }

    @Test("a for-each that does not parse is one error: no second one about 'item' having no for-each")
    func brokenForEach() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
            workflows:
              w:
                steps:
                  - {id: list, uses: exec, with: {run: 'true'}}
                  - id: build
                    uses: exec
                    needs: [list]
                    for-each: ${{ fromjson(steps.list.outputs.x) }}
                    env: {N: "${{ item }}"}
                    with: {run: 'echo "$N"', cwd: '${{ item }}'}
            """])
        let v = try await TestSupport.stephost(["validate"], cwd: dir)
        #expect(v.code == 2)
        let lines = v.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("unknown function 'fromjson()'; did you mean 'fromJSON'?"), "\(v.stderr)")
    }

    @Test("secrets granted in a manifest without environments are an error naming the step")
    func noEnvironments() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": "workflows:\n  w:\n    steps:\n      - {id: s, uses: exec, secrets: [T], with: {run: 'true'}}\n"])
        let v = try await TestSupport.stephost(["validate"], cwd: dir)
        #expect(v.code == 2)
        #expect(v.stderr.contains("step 's' of workflow 'w' is granted secrets (T), but stephost.yaml defines no environments"), "\(v.stderr)")
    }

    @Test("did you mean: keys, commands, options, functions; secrets.X says how secrets are granted")
    func didYouMean() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
            environments:
              dev: {secrets: {A: env:A}}
            workflows:
              w:
                steps:
                  - {id: a, uses: exec, with: {run: "true"}}
                  - {id: b, uses: exec, neds: [a], with: {run: "echo ${{ tojson(env) }}"}}
                  - {id: c, uses: exec, with: {run: "echo ${{ secrets.A }} ${{ stpes.a.outputs }}"}}
            """])
        let v = try await TestSupport.stephost(["validate"], cwd: dir)
        #expect(v.code == 2)
        #expect(v.stderr.contains("unknown key 'neds' in a step; did you mean 'needs'?"), "\(v.stderr)")
        #expect(v.stderr.contains("unknown function 'tojson()'; did you mean 'toJSON'?"))
        #expect(v.stderr.contains("'secrets' is not a context in with.run: secrets are granted with `secrets: [NAME]`"))
        #expect(v.stderr.contains("unknown context 'stpes' in with.run; did you mean 'steps'?"))
        let cmd = try await TestSupport.stephost(["valdate"], cwd: dir)
        #expect(cmd.code == 2 && cmd.stderr.contains("unknown command 'valdate'; did you mean 'validate'?"))
        let opt = try await TestSupport.stephost(["run", "--jsn"], cwd: dir)
        #expect(opt.code == 2 && opt.stderr.contains("unknown option '--jsn'; did you mean '--json'?"))
    }
}

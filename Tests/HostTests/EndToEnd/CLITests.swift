import Foundation
import StepPlugins
import StepProtocol
import Testing

@Suite("stephost commands", .timeLimit(.minutes(3)))
struct CLITests {
    let manifest = """
    env: {PREFIX: ghcr.io/acme}
    environments:
      dev: {vars: {TIER: development}}
    workflows:
      build:
        on: {manual: {}}
        steps:
          - {id: list, uses: exec, with: {run: 'echo x'}}
          - {id: each, uses: exec, for-each: "${{ fromJSON('[\\"a\\",\\"b\\"]') }}", with: {run: "echo ${{ env.PREFIX }}/${{ item }} ${{ vars.TIER }}"}}
          - {id: later, uses: exec, needs: [list, each], with: {run: "echo ${{ steps.list.outputs.exitCode }}"}}
    """

    @Test("graph prints Mermaid and dot with each node's id and uses")
    func graph() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": manifest])
        let m = try await TestSupport.stephost(["graph"], cwd: dir)
        #expect(m.code == 0)
        #expect(m.stdout.hasPrefix("flowchart TD"))
        #expect(m.stdout.contains("build__list[\"list<br/>exec\"]"))
        #expect(m.stdout.contains("build__each --> build__later"))
        let d = try await TestSupport.stephost(["graph", "build", "--format", "dot"], cwd: dir)
        #expect(d.stdout.contains("\"build/list\" -> \"build/each\";"))
        #expect(d.stdout.contains("label=\"each[*]\\nexec\""))
        let bad = try await TestSupport.stephost(["graph", "--format", "png"], cwd: dir)
        #expect(bad.code == 2)
    }

    @Test("plan expands static for-each and resolves the inputs it can")
    func plan() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": manifest])
        let p = try await TestSupport.stephost(["plan", "build", "--env", "dev"], cwd: dir)
        #expect(p.code == 0, "\(p.stderr)")
        #expect(p.stdout.contains("each[a]  uses exec  needs list"))
        #expect(p.stdout.contains("with.run: \"echo ghcr.io/acme/b development\""))
        #expect(p.stdout.contains("with.run: \"echo ${{ steps.list.outputs.exitCode }}\""), "unknown outputs stay as written")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/.stephost"), "plan runs nothing and writes nothing")
    }

    @Test("plugins lists each plugin with its version, steps and descriptor")
    func plugins() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": manifest])
        let r = try await TestSupport.stephost(["plugins", "--plugin", "fake=\(TestSupport.fake) --steps one,two"], cwd: dir)
        #expect(r.code == 0, "\(r.output)")
        #expect(r.stdout.contains("fake 9.9.9\n  steps: one, two"))
        #expect(r.stdout.contains("exec 0.1.0"))
        #expect(r.stdout.contains("descriptor: <bundled>/plugins.d/exec.yaml"))
    }

    @Test("yaml prints what the parser read, and errors with FILE:LINE:COLUMN")
    func yaml() async throws {
        let dir = TestSupport.tempDir("yaml")
        TestSupport.write("\(dir)/a.yaml", "a: [1, '2', no]\n")
        TestSupport.write("\(dir)/b.yaml", "a: 1\na: 2\n")
        let ok = try await TestSupport.stephost(["yaml", "a.yaml"], cwd: dir)
        #expect(try JSONParser.parse(ok.stdout) == ["a": [1, "2", "no"]])
        let bad = try await TestSupport.stephost(["yaml", "b.yaml"], cwd: dir)
        #expect(bad.code == 2 && bad.stderr.contains("b.yaml:2:1: duplicate key 'a'"))
    }

    @Test("an unreadable manifest says why", arguments: [("missing.yaml", "no such file"), ("adir", "it is a directory"), ("binary.yaml", "not UTF-8 text")])
    func unreadable(_ file: String, _ why: String) async throws {
        let dir = TestSupport.tempDir("unreadable")
        try FileManager.default.createDirectory(atPath: "\(dir)/adir", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: "\(dir)/binary.yaml", contents: Data([0xFF, 0xFE, 0x00])))
        let r = try await TestSupport.stephost(["run", "-f", file], cwd: dir)
        #expect(r.code == 2 && r.stderr.contains("\(file): cannot read the manifest: \(why)"), "\(r.stderr)")
    }

    @Test("usage errors exit 2 with a message; --help and --version work")
    func usage() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": manifest])
        for args in [["run", "nope"], ["run", "-j", "0"], ["frobnicate"], ["run", "--bogus"], ["run", "--env", "prod"], ["run", "--plugin", "noequals"]] {
            let r = try await TestSupport.stephost(args, cwd: dir)
            #expect(r.code == 2, "\(args)")
            #expect(!r.stderr.isEmpty, "\(args)")
        }
        for cmd in ["run", "validate", "plan", "graph", "plugins", "yaml"] {
            let h = try await TestSupport.stephost([cmd, "--help"], cwd: dir)
            #expect(h.code == 0 && h.stdout.contains("usage: stephost \(cmd)"))
        }
        let version = try await TestSupport.stephost(["--version"], cwd: dir).stdout
        #expect(version.range(of: #"^stephost 0\.1\.0 \(commit [0-9a-f]{12}\)\n$"#, options: .regularExpression) != nil, "\(version)")
    }

    @Test("a plugin that cannot start or initialize stops the run with exit 2 before any step runs")
    func pluginStartFailures() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        workflows:
          w:
            steps:
              - {id: first, uses: exec, with: {run: "touch ran.txt"}}
              - {id: other, uses: fake}
        """])
        let missing = try await TestSupport.stephost(["run", "w", "--plugin", "fake=/nonexistent/plugin"], cwd: dir)
        #expect(missing.code == 2 && missing.stderr.contains("plugin 'fake' (descriptor --plugin fake=/nonexistent/plugin) could not start"), "\(missing.stderr)")
        let dies = try await TestSupport.stephost(["run", "w", "--plugin", "fake=\(TestSupport.fake) --init exit"], cwd: dir)
        #expect(dies.code == 2 && dies.stderr.contains("exit status 7") && dies.stderr.contains("exiting before initialize"), "\(dies.stderr)")
        let version = try await TestSupport.stephost(["run", "w", "--plugin", "fake=\(TestSupport.fake) --init version:2"], cwd: dir)
        #expect(version.code == 2 && version.stderr.contains("speaks protocol version 2, but this stephost speaks version 1"))
        let slow = try await TestSupport.stephost(["run", "w", "--init-timeout", "300ms", "--plugin", "fake=\(TestSupport.fake) --init slow:5000"], cwd: dir)
        #expect(slow.code == 2 && slow.stderr.contains("did not answer initialize within 300ms"), "\(slow.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/ran.txt"))
    }

    @Test("the bundled descriptors are the files in plugins.d, byte for byte")
    func bundledDescriptors() throws {
        let dir = "\(TestSupport.repoRoot)/plugins.d"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files == BundledPlugins.files.map(\.name).sorted())
        for f in BundledPlugins.files {
            #expect(try String(contentsOfFile: "\(dir)/\(f.name)", encoding: .utf8) == f.text, "\(f.name) differs from BundledPlugins")
        }
    }

    @Test("descriptors may be JSON; --plugin resolves relative script paths against the current directory")
    func jsonDescriptorAndRelativeOverride() async throws {
        let dir = try await TestSupport.gitRepo([
            "ci/stephost.yaml": "workflows:\n  w:\n    steps:\n      - {id: a, uses: stats, with: {paths: [ci/stephost.yaml]}}\n      - {id: b, uses: probe}\n",
            "ci/plugins.d/stats.json": #"{"name": "stats", "command": ["../../tools/file_stats.py"], "steps": ["file-stats-json"]}"#,
            "tools/file_stats.py": try String(contentsOfFile: "\(TestSupport.repoRoot)/examples/plugins/file_stats.py", encoding: .utf8)
                .replacingOccurrences(of: "\"name\": \"file-stats\",", with: "\"name\": \"file-stats-json\","),
            "tools/probe.sh": "#!/bin/sh\nexec \"\(TestSupport.fake)\" --steps probe\n",
        ])
        _ = try await TestSupport.run(["chmod", "+x", "\(dir)/tools/file_stats.py", "\(dir)/tools/probe.sh"], cwd: dir)
        TestSupport.write("\(dir)/ci/stephost.yaml", "workflows:\n  w:\n    steps:\n      - {id: a, uses: file-stats-json, with: {paths: [ci/stephost.yaml]}}\n      - {id: b, uses: probe}\n")
        // From ci/, ../tools/probe.sh is right; from the workspace (where plugins run) it would not be.
        let r = try await TestSupport.stephost(["run", "w", "-f", "stephost.yaml", "--plugin", "probe=/bin/sh ../tools/probe.sh"], cwd: "\(dir)/ci")
        #expect(r.code == 0, "\(r.output)")
        #expect(r.stdout.contains("[a] success") && r.stdout.contains("[b] success"))
    }

    @Test("descriptor errors name the file: bad YAML, duplicate steps in one folder")
    func descriptors() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": manifest, "plugins.d/broken.yaml": "name: broken\ncommand: [x\n"])
        let r = try await TestSupport.stephost(["run", "build"], cwd: dir)
        #expect(r.code == 2 && r.stderr.contains("plugins.d/broken.yaml:2:10"), "\(r.stderr)")
        let dup = try await TestSupport.gitRepo(["stephost.yaml": manifest, "plugins.d/a.yaml": "name: a\ncommand: [a]\nsteps: [s]\n",
                                                "plugins.d/b.yaml": "name: b\ncommand: [b]\nsteps: [s]\n"])
        let d = try await TestSupport.stephost(["validate"], cwd: dup)
        #expect(d.code == 2 && d.stderr.contains("plugins.d/a.yaml and") && d.stderr.contains("plugins.d/b.yaml"))
    }
}

import Foundation
import StepProtocol
import Testing

/// `stephost plugin new` and `stephost plugin check`: scaffolds that pass the checker as written, the
/// bundled plugins passing it, and plugins that each break one rule of the protocol caught by it.
@Suite("plugin new and plugin check", .timeLimit(.minutes(4)))
struct PluginAuthoringTests {
    /// `cancelGrace`: 2 s where a plugin is made to miss it; the default 10 s where it must answer in time,
    /// as it does at once on an idle machine (a loaded CI machine took over 2 s to stop a bundled plugin's git).
    func check(_ args: [String], cwd: String, cancelGrace: String = "10s") async throws -> (code: Int32, results: [String: JSONValue], output: String) {
        let r = try await TestSupport.stephost(["plugin", "check", "--cancel-grace", cancelGrace, "--json"] + args, cwd: cwd, timeout: 120)
        let report = try? JSONParser.parse(r.stdout)
        let results = Dictionary((report?["results"]?.arrayValue ?? []).compactMap { x in x["rule"]?.stringValue.map { ($0, x) } }) { a, _ in a }
        return (r.code, results, r.output)
    }

    func failed(_ results: [String: JSONValue]) -> [String] { results.filter { $0.value["status"] == "FAIL" }.keys.sorted() }

    @Test("plugin new --lang sh|python writes a plugin that passes plugin check as written, and whose example manifest runs", arguments: ["sh", "python"])
    func scaffold(lang: String) async throws {
        let dir = TestSupport.tempDir("new")
        let made = try await TestSupport.stephost(["plugin", "new", "greet", "--lang", lang], cwd: dir)
        #expect(made.code == 0, "\(made.output)")
        for f in ["plugins.d/greet.yaml", "greet.example.yaml", "plugins/greet/README.md"] {
            #expect(FileManager.default.fileExists(atPath: "\(dir)/\(f)"), "\(f)")
        }
        let (code, results, output) = try await check(["greet"], cwd: dir)
        #expect(code == 0 && failed(results).isEmpty, "\(output)")
        #expect(results.count >= 16, "every rule is reported: \(results.keys.sorted())")
        let run = try await TestSupport.stephost(["run", "example", "-f", "greet.example.yaml", "--json"], cwd: dir)
        #expect(run.code == 0, "\(run.output)")
        let steps = (try run.summary()["steps"]?.arrayValue ?? [])
        #expect(steps.last?["outputs"]?["text"] == "HELLO FROM GREET", "the example's second step reads the first's output: \(steps)")

        let again = try await TestSupport.stephost(["plugin", "new", "greet", "--lang", "python"], cwd: dir)
        #expect(again.code == 2 && again.stderr.contains("not overwriting") && again.stderr.contains("plugins.d/greet.yaml"), "\(again.stderr)")
        let bad = try await TestSupport.stephost(["plugin", "new", "9lives", "--lang", "sh"], cwd: dir)
        #expect(bad.code == 2 && bad.stderr.contains("'9lives' is not a plugin name"))
    }

    @Test("every bundled plugin passes plugin check")
    func bundled() async throws {
        let dir = TestSupport.tempDir("bundled")
        for name in ["exec", "detect-changes", "docker-build", "ghcr-push", "pin-digest", "bot-pr", "notify", "modal-secret", "sync-modal", "smoke-test"] {
            let (code, results, output) = try await check([name], cwd: dir)
            #expect(code == 0 && failed(results).isEmpty && results.count >= 16, "\(name):\n\(output)")
        }
    }

    /// The Python scaffold with one change that breaks one rule.
    static let breakages: [(name: String, rule: String, edit: @Sendable (String) -> String)] = [
        ("stray-stdout", "stdout carries only JSON-RPC messages",
         { $0.replacingOccurrences(of: "def main():\n", with: "def main():\n    print(\"starting up\", flush=True)\n") }),
        ("wrong-codes", "an unknown method is answered -32601",
         { $0.replacingOccurrences(of: #"error={"code": -32601, "message": "Method not found"#, with: #"error={"code": -32000, "message": "Method not found"#) }),
        ("no-cancel", "$/cancel of a running step is answered -32800 within the cancel grace (2 s)",
         { $0.replacingOccurrences(of: "    if request_id in cancelled:\n", with: "    __import__('time').sleep(4)\n    if False:\n") }),
        ("no-exit", "the process exits when stdin reaches end of file (5 s)",
         { $0.replacingOccurrences(of: "            handle(line.strip())\n", with: "            handle(line.strip())\n    while True:\n        __import__('time').sleep(1)\n") }),
        ("leaves-child", "no process it started outlives it",
         { $0.replacingOccurrences(of: "def main():\n", with: "def main():\n    __import__('subprocess').Popen(['sleep', '300'], stdin=-3, stdout=-3, stderr=-3)\n") }),
        ("bad-schema", "each step has a name and an input schema that is a valid schema",
         { $0.replacingOccurrences(of: #"INPUTS = json.loads("#, with: #"INPUTS = (lambda s: dict(s, required="message"))(json.loads("#).replacingOccurrences(of: "}}}')\n", with: "}}}'))\n") }),
    ]

    @Test("a plugin that breaks one rule is caught at that rule", arguments: 0..<6)
    func broken(index: Int) async throws {
        let breakage = Self.breakages[index]
        let dir = TestSupport.tempDir("broken")
        let made = try await TestSupport.stephost(["plugin", "new", "p", "--lang", "python"], cwd: dir)
        #expect(made.code == 0)
        let path = "\(dir)/plugins/p/p.py"
        let original = try String(contentsOfFile: path, encoding: .utf8)
        let edited = breakage.edit(original)
        #expect(edited != original, "the edit applies to the scaffold")
        TestSupport.write(path, edited)
        let (code, results, output) = try await check(["--", "python3", path], cwd: dir, cancelGrace: "2s")
        #expect(code == 1, "\(breakage.name): \(output)")
        #expect(results[breakage.rule]?["status"] == "FAIL", "\(breakage.name) is caught at '\(breakage.rule)':\n\(output)")
        let others = failed(results).filter { $0 != breakage.rule && !($0.hasPrefix("after shutdown") && breakage.name == "no-exit") }
        #expect(others.isEmpty, "\(breakage.name) breaks one rule only: \(others)")
        if breakage.name == "leaves-child" {
            // The pids the check names (other tests run their own `sleep`s): each stopped by the checker.
            let detail = results[breakage.rule]?["detail"]?.stringValue ?? ""
            let pids = detail.components(separatedBy: "pid ").dropFirst().first?.split(whereSeparator: { !$0.isNumber && $0 != "," && $0 != " " })
                .first?.split(separator: ",").compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) } ?? []
            #expect(!pids.isEmpty, "\(detail)")
            for pid in pids { #expect(!TestSupport.isAlive(pid), "the checker stops what the plugin left behind (pid \(pid))") }
        }
    }

    @Test("plugin check names what it cannot find, and a plugin that does not answer initialize fails there")
    func notFound() async throws {
        let dir = TestSupport.tempDir("missing")
        let r = try await TestSupport.stephost(["plugin", "check", "dockr-build"], cwd: dir)
        #expect(r.code == 2 && r.stderr.contains("no plugin 'dockr-build'") && r.stderr.contains("did you mean 'docker-build'"), "\(r.stderr)")
        TestSupport.write("\(dir)/silent.sh", "#!/bin/sh\nexec sleep 30\n")
        _ = try await TestSupport.run(["chmod", "+x", "\(dir)/silent.sh"], cwd: dir)
        let (code, results, output) = try await check(["--init-timeout", "1s", "--", "./silent.sh"], cwd: dir)
        #expect(code == 1 && results["initialize is answered within the init timeout (1 s)"]?["status"] == "FAIL", "\(output)")
    }
}

/// A release build of PluginKit and the plugin: in the slow pass (`STEPHOST_SLOW_TESTS=1`; .ci/run does), so that its
/// compiling does not starve the main suite's timing-sensitive tests.
@Suite("plugin new --lang swift", .timeLimit(.minutes(6)),
       .enabled(if: TestSupport.slowPass, "runs in the slow pass (STEPHOST_SLOW_TESTS=1)"))
struct SwiftPluginTemplateTests {
    @Test("the Swift scaffold (PluginKit by path) builds, passes plugin check and runs its example")
    func swiftScaffold() async throws {
        let dir = TestSupport.tempDir("swift")
        let made = try await TestSupport.stephost(["plugin", "new", "greet", "--lang", "swift", "--stephost-source", TestSupport.repoRoot], cwd: dir)
        #expect(made.code == 0, "\(made.output)")
        let build = try await TestSupport.run(["swift", "build", "-c", "release", "--package-path", "plugins/greet"], cwd: dir, timeout: 330)
        #expect(build.code == 0, "\(build.output.suffix(3000))")
        let check = try await TestSupport.stephost(["plugin", "check", "greet", "--cancel-grace", "2s"], cwd: dir, timeout: 60)
        #expect(check.code == 0 && check.stdout.contains("0 failed"), "\(check.output)")
        let run = try await TestSupport.stephost(["run", "example", "-f", "greet.example.yaml", "--json"], cwd: dir)
        #expect(run.code == 0 && run.stdout.contains("HELLO FROM GREET"), "\(run.output)")
    }
}

@Suite("docs/writing-plugins.md shows what plugin new writes", .timeLimit(.minutes(1)))
struct WritingPluginsDocTests {
    @Test("each tier's code in the doc is the scaffold, byte for byte")
    func tiers() async throws {
        let doc = try String(contentsOfFile: "\(TestSupport.repoRoot)/docs/writing-plugins.md", encoding: .utf8)
        let dir = TestSupport.tempDir("tiers")
        for (lang, files) in [("sh", ["plugins/greet/greet.sh"]),
                              ("python", ["plugins/greet/greet.py", "plugins.d/greet.yaml", "greet.example.yaml"]),
                              ("swift", ["plugins/greet/Package.swift", "plugins/greet/Sources/main.swift"])] {
            let made = try await TestSupport.stephost(["plugin", "new", "greet", "--lang", lang, "--dir", lang, "--stephost-source", "/path/to/stephost"], cwd: dir)
            #expect(made.code == 0, "\(made.output)")
            for f in files {
                let text = try String(contentsOfFile: "\(dir)/\(lang)/\(f)", encoding: .utf8).trimmingCharacters(in: .newlines)
                #expect(doc.contains("\n" + text + "\n```"), "docs/writing-plugins.md shows \(lang)'s \(f) as plugin new writes it")
            }
        }
    }
}

@Suite("plugin check: a plugin that dies", .timeLimit(.minutes(1)))
struct PluginCheckDiesTests {
    @Test("a plugin that answers initialize, then exits 1 with a traceback: the exit and the traceback are reported at once")
    func dies() async throws {
        let dir = TestSupport.tempDir("dies")
        TestSupport.write("\(dir)/dies.py", #"""
            #!/usr/bin/env python3
            import json, sys
            for line in sys.stdin:
                m = json.loads(line)
                if m.get("method") == "initialize":
                    print(json.dumps({"jsonrpc": "2.0", "id": m["id"], "result": {"protocolVersion": 1, "plugin": {"name": "dies", "version": "1"},
                          "steps": [{"name": "dies", "inputs": {"type": "object"}}], "capabilities": {}}}), flush=True)
                else:
                    raise RuntimeError("boom on " + str(m.get("method")))
            """#)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: "\(dir)/dies.py")
        let r = try await TestSupport.stephost(["plugin", "check", "--", "./dies.py"], cwd: dir, timeout: 30)
        #expect(r.code == 1, "\(r.output)")
        #expect(r.stdout.contains("the plugin exited (exit status 1) instead of answering") && r.stdout.contains("RuntimeError: boom on stephost/no-such-method"),
                "\(r.stdout)")
        #expect(r.stdout.contains("the plugin had exited (exit status 1)") && !r.stdout.contains("no answer within"), "\(r.stdout)")
    }
}

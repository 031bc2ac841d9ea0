import Foundation
import StepProtocol
import Testing

/// `run --record DIR` and `run --replay DIR`: a run's plugin exchanges recorded (masked) and
/// played back as fakes matched by step name and inputs.
@Suite("run --record and --replay", .timeLimit(.minutes(4)))
struct ReplayTests {
    @Test("a recorded run replays where the plugin is gone; changed inputs fail showing the difference; --plugin wins; no secret is recorded")
    func recordAndReplay() async throws {
        let dir = TestSupport.tempDir("record")
        #expect(try await TestSupport.stephost(["plugin", "new", "say", "--lang", "python"], cwd: dir).code == 0)
        TestSupport.write("\(dir)/stephost.yaml", """
            environments:
              ci:
                secrets: {TOKEN: env:SAY_TOKEN}
            workflows:
              w:
                steps:
                  - {id: hello, uses: say, environment: ci, secrets: [TOKEN], with: {message: "hello, token-user"}}
                  - {id: louder, uses: say, needs: [hello], with: {message: "${{ steps.hello.outputs.text }}", shout: true}}
            """)
        let recorded = try await TestSupport.stephost(["run", "w", "--record", "rec", "--json"], cwd: dir, env: ["SAY_TOKEN": "tok-secret-4242"])
        #expect(recorded.code == 0, "\(recorded.output)")
        let files = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/rec").sorted()
        #expect(files == ["say.descriptor.json", "say.jsonl"])
        let lines = try String(contentsOfFile: "\(dir)/rec/say.jsonl", encoding: .utf8).split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
        #expect(lines.contains { $0["step"] == "louder" && $0["from"] == "plugin" && $0["message"]?["result"] != nil }, "answers carry their step")
        #expect(!lines.contains { $0.encoded().contains("tok-secret-4242") } && lines.contains { $0.encoded().contains("***") }, "masked")

        // Elsewhere, without the plugin at all: the recording answers.
        let other = TestSupport.tempDir("replay")
        try TestSupport.copyTree("\(dir)/rec", to: "\(other)/rec")
        TestSupport.write("\(other)/stephost.yaml", try String(contentsOfFile: "\(dir)/stephost.yaml", encoding: .utf8))
        let replayed = try await TestSupport.stephost(["run", "w", "--replay", "rec", "--json"], cwd: other, env: ["SAY_TOKEN": "another-value"])
        #expect(replayed.code == 0, "\(replayed.output)")
        let a = try recorded.summary()["steps"]?.arrayValue?.map { $0["outputs"] ?? .null }
        let b = try replayed.summary()["steps"]?.arrayValue?.map { $0["outputs"] ?? .null }
        #expect(a == b && b?.last?["text"] == "HELLO, TOKEN-USER", "the same outputs: \(b ?? [])")

        // Changed inputs: that step fails and says what differs from the closest recording.
        TestSupport.write("\(other)/stephost.yaml", try String(contentsOfFile: "\(dir)/stephost.yaml", encoding: .utf8)
            .replacingOccurrences(of: "hello, token-user", with: "goodbye"))
        let changed = try await TestSupport.stephost(["run", "w", "--replay", "rec", "--json"], cwd: other, env: ["SAY_TOKEN": "x-value"])
        #expect(changed.code == 1)
        let hello = try changed.summary()["steps"]?.arrayValue?.first
        #expect(hello?["error"]?.stringValue?.contains(#"with.message: recorded "hello, token-user", now "goodbye""#) == true, "\(hello ?? .null)")

        // --plugin NAME=COMMAND wins over the replayed plugin of that name.
        let fake = try await TestSupport.stephost(["run", "w", "--replay", "rec", "--plugin", "say=\(TestSupport.fake) --steps say --any-inputs", "--json"],
                                                  cwd: other, env: ["SAY_TOKEN": "x-value"])
        let faked = try fake.summary()["steps"]?.arrayValue?.first?["outputs"]?["with"]?["message"]
        #expect(fake.code == 0 && faked == "goodbye", "\(fake.output)")
        let none = try await TestSupport.stephost(["run", "w", "--replay", "nowhere"], cwd: other)
        #expect(none.code == 2 && none.stderr.contains("no recording there"))
    }

    @Test("a recording that cannot be written is said once, as a warning of the run; the run itself goes on")
    func unwritableRecording() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
            workflows:
              w:
                steps:
                  - {id: a, uses: exec, with: {run: 'echo one'}}
                  - {id: b, uses: exec, with: {run: 'echo two'}}
            """])
        // Where exec's recording would go is a folder (a file cannot be opened for writing there, even as root).
        try FileManager.default.createDirectory(atPath: "\(dir)/rec/exec.jsonl", withIntermediateDirectories: true)
        let r = try await TestSupport.stephost(["run", "w", "--record", "rec", "--json"], cwd: dir)
        #expect(r.code == 0, "\(r.output)")
        let warnings = r.stderr.components(separatedBy: "\n").filter { $0.contains("--record: cannot write") }
        #expect(warnings.count == 1 && warnings.first?.contains("rec/exec.jsonl (Is a directory); the recording is incomplete") == true,
                "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(dir)/rec/exec.descriptor.json"))
    }

    @Test("the reference pipeline's deploy, recorded once with the fake Modal CLI, replays with no Modal, registry or service at hand",
          .enabled(if: FakeModal.canDeploy || TestSupport.inCI))
    func referenceDeploy() async throws {
        let modal = try FakeModal()
        let service = try await LocalService.fake("service", arguments: ["\(modal.root)/state.json"])
        let (repo, _) = try await ReferencePipelineTests().checkout()
        let smoke = ["--var", "SMOKE_URL=http://\(service.address)/dev"]
        // The Modal secrets first, as the pipeline does (deploy verifies them); not recorded.
        let ensure = try await TestSupport.stephost(["run", "secrets-ensure"], cwd: repo, env: modal.environment.merging(ReferencePipelineTests.secrets) { $1 },
                                                    timeout: 180)
        #expect(ensure.code == 0, "\(ensure.output)")
        let recorded = try await TestSupport.stephost(["run", "deploy", "--env", "dev", "--record", "recording", "--json"] + smoke, cwd: repo,
                                                      env: modal.environment.merging(ReferencePipelineTests.secrets) { $1 }, timeout: 180)
        service.stop()
        #expect(recorded.code == 0, "\(recorded.output)")
        let modalCalls = modal.calls().count
        #expect(modalCalls > 0, "the recorded run used the fake Modal")
        let recordings = try FileManager.default.contentsOfDirectory(atPath: "\(repo)/recording").filter { $0.hasSuffix(".jsonl") }.sorted()
        #expect(recordings.contains("sync-modal.jsonl") && recordings.contains("smoke-test.jsonl") && recordings.contains("exec.jsonl"), "\(recordings)")
        for f in recordings {
            let text = try String(contentsOfFile: "\(repo)/recording/\(f)", encoding: .utf8)
            for value in ReferencePipelineTests.secrets.values where value.count >= 4 { #expect(!text.contains(value), "a secret in \(f)") }
        }

        // Another checkout, no fake modal on PATH, the service gone, other secret values: the recording answers every plugin.
        let (other, _) = try await ReferencePipelineTests().checkout()
        try TestSupport.copyTree("\(repo)/recording", to: "\(other)/recording")
        let otherSecrets = ReferencePipelineTests.secrets.mapValues { "other-\($0.count)-value" }
        let replayed = try await TestSupport.stephost(["run", "deploy", "--env", "dev", "--replay", "recording", "--json"] + smoke, cwd: other,
                                                      env: otherSecrets, timeout: 120)
        #expect(replayed.code == 0, "\(replayed.output)")
        let status = { (r: TestSupport.Result) -> [String: JSONValue] in
            Dictionary(uniqueKeysWithValues: ((try? r.summary()["steps"]?.arrayValue) ?? []).compactMap { s in s["id"]?.stringValue.map { ($0, s["status"] ?? .null) } })
        }
        #expect(status(replayed) == status(recorded) && status(replayed)["smoke[llm_litellm]"] == "success", "\(status(replayed))")
        #expect(modal.calls().count == modalCalls, "nothing reached Modal in the replay")
    }
}

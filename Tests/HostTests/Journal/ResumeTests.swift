import Foundation
import StepJournal
import StepProtocol
import Testing

@Suite("stephost run --resume and stephost runs", .timeLimit(.minutes(3)))
struct ResumeTests {
    static let manifest = """
    environments:
      dev:
        secrets: {TOKEN: env:MY_TOKEN}
    workflows:
      deploy:
        steps:
          - {id: build, uses: exec, with: {run: 'echo build >> ran.log; echo "digest=sha256:abc" >> "$STEPHOST_OUTPUT"'}}
          - {id: leaky, uses: exec, secrets: [TOKEN], with: {run: 'echo leaky >> ran.log; echo "token=$TOKEN" >> "$STEPHOST_OUTPUT"'}}
          - id: push
            uses: exec
            needs: [build]
            for-each: ["a", "b"]
            with: {run: 'echo push-${{ item }} >> ran.log; test "${{ item }}" = a || test -f fixed'}
          - {id: deploy, uses: exec, needs: [build, push], with: {run: 'echo "deploy ${{ steps.build.outputs.digest }}" >> ran.log'}}
      other:
        steps:
          - {id: x, uses: exec, with: {run: 'true'}}
    """

    static func ran(_ dir: String) -> [String] {
        ((try? String(contentsOfFile: "\(dir)/ran.log", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test("--resume reruns what failed, reuses the outputs of what succeeded, and records where it came from")
    func resume() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": Self.manifest])
        let env = ["MY_TOKEN": "tok-0123456789"]
        let first = try await TestSupport.stephost(["run", "deploy", "--env", "dev", "--json"], cwd: dir, env: env)
        #expect(first.code == 1)
        let firstID = try #require(try first.summary()["id"]?.stringValue)
        #expect(Self.ran(dir).sorted() == ["build", "leaky", "push-a", "push-b"])

        TestSupport.write("\(dir)/fixed", "")
        try FileManager.default.removeItem(atPath: "\(dir)/ran.log")
        // No workflow and no --env: both come from the resumed run.
        let second = try await TestSupport.stephost(["run", "--resume", "--json"], cwd: dir, env: env)
        #expect(second.code == 0, "\(second.stderr)")
        let s = try second.summary()
        #expect(s["resumedFrom"]?.stringValue == firstID)
        #expect(s.stepsByID["build"]?["reason"]?.stringValue == "reused from run \(firstID)")
        #expect(s.stepsByID["push[a]"]?["reason"]?.stringValue == "reused from run \(firstID)")
        #expect(s.stepsByID["push[b]"]?["reason"] == nil)
        // leaky's outputs held the secret, were masked in the record, so it runs again.
        #expect(second.stderr.contains("step 'leaky' runs again: its recorded outputs held a secret"))
        #expect(Self.ran(dir).sorted() == ["deploy sha256:abc", "leaky", "push-b"])

        // Resuming the resumed run reuses everything, including what it reused.
        try FileManager.default.removeItem(atPath: "\(dir)/ran.log")
        let third = try await TestSupport.stephost(["run", "deploy", "--env", "dev", "--resume", "last", "--json"], cwd: dir, env: env)
        #expect(third.code == 0)
        #expect(Self.ran(dir) == ["leaky"])
    }

    @Test("a step downstream of one that runs again runs again, even one that succeeded (make's rule)")
    func downstreamRunsAgain() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
            workflows:
              ship:
                steps:
                  - {id: check, uses: exec, with: {run: 'echo check >> ran.log'}}
                  - {id: deploy, uses: exec, with: {run: 'echo deploy >> ran.log; test -f fixed'}}
                  - {id: notify, uses: exec, if: always(), with: {run: 'echo "notify ${{ steps.deploy.status }}" >> ran.log'}}
            """])
        let first = try await TestSupport.stephost(["run", "ship", "--json"], cwd: dir)
        #expect(first.code == 1)
        #expect(Self.ran(dir) == ["check", "deploy", "notify failure"])
        TestSupport.write("\(dir)/fixed", "")
        try FileManager.default.removeItem(atPath: "\(dir)/ran.log")
        let second = try await TestSupport.stephost(["run", "--resume", "--json"], cwd: dir)
        #expect(second.code == 0, "\(second.stderr)")
        // notify succeeded in the first run, but deploy ran again: notify must report the new outcome.
        #expect(Self.ran(dir) == ["deploy", "notify success"])
        let s = try second.summary()
        #expect(s.stepsByID["check"]?["reason"]?.stringValue?.hasPrefix("reused from run") == true)
        #expect(s.stepsByID["notify"]?["reason"] == nil)
        #expect(second.stderr.contains("runs again although it succeeded in run"), "\(second.stderr)")
    }

    @Test("a dry run reports would-run, not success; runs marks it; --resume last passes over it")
    func dryRunsAreNotRuns() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
            workflows:
              ship:
                steps:
                  - {id: build, uses: exec, with: {run: 'echo build >> ran.log; test -f fixed'}}
                  - {id: after, uses: exec, if: "steps.build.status == 'success'", with: {run: 'echo after >> ran.log'}}
            """])
        let onlyDry = try await TestSupport.stephost(["run", "ship", "--dry-run", "--json"], cwd: dir)
        #expect(onlyDry.code == 0, "\(onlyDry.stderr)")
        let d = try onlyDry.summary()
        // Later steps still see success, so the dry run follows the path a successful run would take.
        #expect(d.stepsByID["build"]?["status"]?.stringValue == "would-run")
        #expect(d.stepsByID["after"]?["status"]?.stringValue == "would-run")
        #expect(onlyDry.stderr.contains("would run"))
        #expect(!Self.ran(dir).contains("after"))
        let refused = try await TestSupport.stephost(["run", "--resume", "last"], cwd: dir)
        #expect(refused.code == 2)
        #expect(refused.stderr.contains("only dry runs are recorded"), "\(refused.stderr)")

        let real = try await TestSupport.stephost(["run", "ship", "--json"], cwd: dir)
        #expect(real.code == 1)
        let realID = try #require(try real.summary()["id"]?.stringValue)
        let laterDry = try await TestSupport.stephost(["run", "ship", "--dry-run"], cwd: dir)
        #expect(laterDry.code == 0)
        let runs = try await TestSupport.stephost(["runs"], cwd: dir)
        #expect(runs.stdout.split(separator: "\n").filter { $0.contains("dry run") }.count == 2, "\(runs.stdout)")

        TestSupport.write("\(dir)/fixed", "")
        let resumed = try await TestSupport.stephost(["run", "--resume", "last", "--json"], cwd: dir)
        #expect(resumed.code == 0, "\(resumed.stderr)")
        #expect(try resumed.summary()["resumedFrom"]?.stringValue == realID)
    }

    @Test("resuming with another manifest names the manifest the run used")
    func resumeOtherManifest() async throws {
        let dir = try await TestSupport.gitRepo([
            "ci/other.yaml": "workflows:\n  w:\n    steps:\n      - {id: a, uses: exec, with: {run: 'false'}}\n",
        ])
        let first = try await TestSupport.stephost(["run", "w", "-f", "ci/other.yaml"], cwd: dir)
        #expect(first.code == 1)
        let r = try await TestSupport.stephost(["run", "--resume"], cwd: dir)
        #expect(r.code == 2)
        #expect(r.stderr.contains("ran the manifest ci/other.yaml, not stephost.yaml; resume it with -f "), "\(r.stderr)")
        let ok = try await TestSupport.stephost(["run", "--resume", "-f", "ci/other.yaml"], cwd: dir)
        #expect(ok.code == 1, "the same manifest resumes (and fails again): \(ok.stderr)")
        #expect(!ok.stderr.contains("ran the manifest"))
    }

    @Test("resuming a resume that was killed before it recorded what it reused still reuses what the first run did")
    func resumeOfAKilledResume() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": Self.manifest])
        let env = ["MY_TOKEN": "tok-0123456789"]
        let first = try await TestSupport.stephost(["run", "deploy", "--env", "dev", "--json"], cwd: dir, env: env)
        #expect(first.code == 1)
        let firstID = try #require(try first.summary()["id"]?.stringValue)
        // The second run's journal as a SIGKILL right after its start leaves it: only its run-started line.
        let runs = "\(dir)/.stephost/runs"
        let started = try #require(try String(contentsOfFile: "\(runs)/\(firstID)/journal.jsonl", encoding: .utf8).split(separator: "\n").first)
        guard case .object(var line) = try JSONParser.parse(String(started)) else { Issue.record("no run-started line"); return }
        let later = Date().addingTimeInterval(2)
        line["time"] = .string(ISO8601DateFormatter().string(from: later))
        line["resumedFrom"] = .string(firstID)
        line["pid"] = 0
        let secondID = RunHistory.newID(later)
        TestSupport.write("\(runs)/\(secondID)/journal.jsonl", JSONValue.object(line).encoded() + "\n")

        TestSupport.write("\(dir)/fixed", "")
        try FileManager.default.removeItem(atPath: "\(dir)/ran.log")
        let third = try await TestSupport.stephost(["run", "--resume", "--json"], cwd: dir, env: env)
        #expect(third.code == 0, "\(third.stderr)")
        let s = try third.summary()
        #expect(s["resumedFrom"]?.stringValue == secondID)
        #expect(s.stepsByID["build"]?["reason"]?.stringValue?.hasPrefix("reused from run") == true, "\(s.stepsByID["build"] ?? .null)")
        #expect(Self.ran(dir).sorted() == ["deploy sha256:abc", "leaky", "push-b"], "build and push[a] are not run again")
    }

    @Test("--resume refuses a changed step it would reuse and says what changed; a changed failed step is fine")
    func changedManifest() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": Self.manifest])
        let env = ["MY_TOKEN": "tok-0123456789"]
        _ = try await TestSupport.stephost(["run", "deploy", "--env", "dev"], cwd: dir, env: env)
        // Changing a step that did not succeed is what resume is for (push[a] of the
        // for-each succeeded, so changing push itself would be refused).
        TestSupport.write("\(dir)/fixed", "")
        TestSupport.write("\(dir)/stephost.yaml", Self.manifest.replacingOccurrences(of: "echo \"deploy ", with: "echo \"DEPLOY "))
        let fixed = try await TestSupport.stephost(["run", "--resume"], cwd: dir, env: env)
        #expect(fixed.code == 0, "\(fixed.stderr)")

        TestSupport.write("\(dir)/stephost.yaml", Self.manifest
            .replacingOccurrences(of: "echo build >> ran.log", with: "echo BUILD >> ran.log")
            .replacingOccurrences(of: "id: build, uses: exec,", with: "id: build, uses: exec, timeout: 5m,"))
        let changed = try await TestSupport.stephost(["run", "--resume"], cwd: dir, env: env)
        #expect(changed.code == 2)
        #expect(changed.stderr.contains("step 'build' changed since run"), "\(changed.stderr)")
        #expect(changed.stderr.contains("with changed; timeout added"), "\(changed.stderr)")
        #expect(changed.stderr.contains("run without --resume to start over"))
    }

    @Test("--resume WORKFLOW picks one workflow out of a run of several and still reuses its steps")
    func resumeOneOfSeveral() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        workflows:
          a:
            on: [manual]
            steps:
              - {id: one, uses: exec, with: {run: 'echo a-one >> ran.log'}}
              - {id: two, uses: exec, with: {run: 'echo a-two >> ran.log; test -f fixed'}}
          b:
            on: [manual]
            steps:
              - {id: one, uses: exec, with: {run: 'echo b-one >> ran.log'}}
        """])
        let first = try await TestSupport.stephost(["run", "--json"], cwd: dir)
        #expect(first.code == 1)
        #expect(try first.summary()["workflows"] == ["a", "b"])
        TestSupport.write("\(dir)/fixed", "")
        try FileManager.default.removeItem(atPath: "\(dir)/ran.log")
        let second = try await TestSupport.stephost(["run", "a", "--resume", "--json"], cwd: dir)
        #expect(second.code == 0, "\(second.stderr)")
        #expect(Self.ran(dir) == ["a-two"])
    }

    @Test("--resume checks what it is asked to resume")
    func resumeErrors() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": Self.manifest])
        let none = try await TestSupport.stephost(["run", "--resume"], cwd: dir)
        #expect(none.code == 2 && none.stderr.contains("no run is recorded"), "\(none.stderr)")
        _ = try await TestSupport.stephost(["run", "other"], cwd: dir)
        let other = try await TestSupport.stephost(["run", "deploy", "--resume"], cwd: dir)
        #expect(other.code == 2 && other.stderr.contains("ran 'other', not 'deploy'"), "\(other.stderr)")
        let unknown = try await TestSupport.stephost(["run", "--resume", "20990101T000000Z-ffff"], cwd: dir)
        #expect(unknown.code == 2 && unknown.stderr.contains("no run '20990101T000000Z-ffff'"), "\(unknown.stderr)")
        let dry = try await TestSupport.stephost(["run", "other", "--resume", "--dry-run"], cwd: dir)
        #expect(dry.code == 2 && dry.stderr.contains("do not go together"))
    }

    @Test("two runs at once in one workspace keep separate, complete records")
    func concurrentRuns() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        workflows:
          w:
            steps:
              - {id: a, uses: exec, with: {run: 'sleep 0.3; echo "x=$RANDOM" >> "$STEPHOST_OUTPUT"'}}
              - {id: b, uses: exec, with: {run: 'sleep 0.3'}}
        """])
        async let one = TestSupport.stephost(["run", "w", "--json"], cwd: dir)
        async let two = TestSupport.stephost(["run", "w", "--json"], cwd: dir)
        let (r1, r2) = try await (one, two)
        #expect(r1.code == 0 && r2.code == 0)
        let ids = Set([try r1.summary()["id"]?.stringValue, try r2.summary()["id"]?.stringValue].compactMap { $0 })
        #expect(ids.count == 2)
        let runs = RunHistory(workspace: TestSupport.resolvedPath(dir)).all()
        #expect(Set(runs.map(\.id)) == ids)
        for r in runs {
            #expect(r.state == .finished(exitCode: 0))
            #expect(r.steps.map(\.outcome.id) == ["a", "b"])
            let summary = try JSONParser.parse(try String(contentsOfFile: "\(r.directory)/summary.json", encoding: .utf8))
            #expect(summary["id"]?.stringValue == r.id)
        }
    }

    @Test("stephost runs lists runs newest first with status; runs show prints one, also one that was killed")
    func runsCommand() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": Self.manifest])
        let empty = try await TestSupport.stephost(["runs"], cwd: dir)
        #expect(empty.code == 0 && empty.stdout.contains("no runs recorded"))
        let ok = try await TestSupport.stephost(["run", "other", "--json"], cwd: dir)
        let failed = try await TestSupport.stephost(["run", "deploy", "--env", "dev", "--json"], cwd: dir, env: ["MY_TOKEN": "tok-0123456789"])
        let okID = try #require(try ok.summary()["id"]?.stringValue), failedID = try #require(try failed.summary()["id"]?.stringValue)

        let list = try await TestSupport.stephost(["runs"], cwd: dir)
        let lines = list.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("RUN") == true)
        #expect(lines.count == 3)
        #expect(lines[1].hasPrefix(failedID) && lines[1].contains("deploy") && lines[1].contains("failure"), "\(list.stdout)")
        #expect(lines[2].hasPrefix(okID) && lines[2].contains("success"))

        let json = try JSONParser.parse(try await TestSupport.stephost(["runs", "--json", "-n", "1"], cwd: dir).stdout)
        #expect(json.arrayValue?.count == 1)
        #expect(json.arrayValue?.first?["exitCode"] == 1)

        let show = try await TestSupport.stephost(["runs", "show", String(failedID.prefix(18))], cwd: dir)
        #expect(show.code == 0, "\(show.stderr)")
        #expect(show.stdout.contains("run \(failedID): failure"))
        #expect(show.stdout.contains("push[b]") && show.stdout.contains("command exited with exit status 1"), "\(show.stdout)")

        // A run whose host died leaves a journal without an end.
        let killedDir = "\(dir)/.stephost/runs/20200101T000000Z-dead"
        try FileManager.default.createDirectory(atPath: killedDir, withIntermediateDirectories: true)
        TestSupport.write("\(killedDir)/journal.jsonl", """
        {"event":"run-started","time":"2020-01-01T00:00:00.000Z","workflows":["deploy"],"pid":999999999}
        {"event":"step-started","step":"build","uses":"exec","time":"2020-01-01T00:00:00.100Z"}

        """)
        let killed = try await TestSupport.stephost(["runs", "show", "20200101T000000Z-dead"], cwd: dir)
        #expect(killed.stdout.contains("killed (no end in its journal)"), "\(killed.stdout)")
        #expect(killed.stdout.contains("build") && killed.stdout.contains("did not finish"))
    }
}

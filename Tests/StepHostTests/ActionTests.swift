import Foundation
import StepProtocol
import Testing

/// The project's own GitHub Action (action.yml) and CI workflow, run by nektos/act in a copy
/// of this repository. actions/cache has a local stand-in (no network here): the build is cold,
/// a release build of two minutes that would starve the rest of the suite, so these tests run in
/// a pass of their own: `STEPHOST_ACTION_TESTS=1 swift test --filter ActionTests` (.ci/run does).
@Suite("action.yml and .github/workflows/ci.yml through act", .timeLimit(.minutes(10)),
       .enabled(if: ProcessInfo.processInfo.environment["STEPHOST_ACTION_TESTS"] == "1"))
struct ActionTests {
    static let standIns = ["--local-repository", "actions/cache@v4=\(TestSupport.repoRoot)/Tests/Fixtures/act/cache"]

    /// A git repository holding this repository's tracked files, as a checkout would.
    func copyOfRepository() async throws -> String {
        let dir = try await TestSupport.gitRepo([:])
        let copy = try await TestSupport.run(["/bin/sh", "-c", "git ls-files -z | xargs -0 tar -cf - | tar -xf - -C '\(dir)'"], cwd: TestSupport.repoRoot)
        #expect(copy.code == 0, "\(copy.stderr)")
        return dir
    }

    @Test("uses: ./ builds stephost from source and runs it with args; later steps find it on PATH")
    func installsAndRuns() async throws {
        let dir = try await copyOfRepository()
        TestSupport.write("\(dir)/.github/workflows/ci.yml", """
            on: push
            jobs:
              use:
                runs-on: ubuntu-latest
                steps:
                  - uses: actions/checkout@v4
                  - uses: ./
                    with:
                      args: |
                        run
                        quickstart
                        -f
                        examples/quickstart/stephost.yaml
                  - run: stephost --version
            """)
        _ = try await TestSupport.commit(dir, [:], message: "a workflow using the action")
        let r = try await TestSupport.run(["act", "push", "-P", "ubuntu-latest=-self-hosted", "--no-cache-server", "--json"] + Self.standIns,
                                          cwd: dir, timeout: 540)
        let events = r.stdout.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
        let messages = events.compactMap { $0["msg"]?.stringValue }
        #expect(r.code == 0, "\(messages.suffix(30).joined(separator: "\n"))\n\(r.stderr.suffix(2000))")
        #expect(events.contains { $0["command"] == "group" && $0["arg"]?.stringValue == "discover (exec)" }, "the run speaks GitHub's commands in Actions")
        #expect(messages.contains { $0.contains("6 success in") }, "the quickstart's table")
        #expect(messages.contains { $0.hasPrefix("stephost 0.1.0 (commit ") }, "stephost is on PATH for later steps")
    }

    @Test("ci.yml runs this repository's own pipeline through the action (act's dry run plans every step)")
    func ciWorkflow() async throws {
        let dir = try await copyOfRepository()
        let r = try await TestSupport.run(["act", "push", "-n", "-P", "ubuntu-latest=-self-hosted", "--no-cache-server", "--json",
                                           "-W", ".github/workflows/ci.yml"] + Self.standIns, cwd: dir, timeout: 120)
        let steps = r.stdout.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }.compactMap { $0["step"]?.stringValue }
        #expect(r.code == 0, "\(r.stderr.suffix(2000))")
        #expect(steps.contains("actions/checkout@v4") && steps.contains("./") && steps.contains("Tools the lanes use"), "\(Set(steps))")
        let yaml = try String(contentsOfFile: "\(dir)/.github/workflows/ci.yml", encoding: .utf8)
        #expect(yaml.contains("uses: ./") && yaml.contains("args: |\n            run\n            --junit\n"))
    }
}

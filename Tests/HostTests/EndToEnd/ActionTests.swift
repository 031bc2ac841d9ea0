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
                  # A composite action exposes only the outputs it declares: --github-output values are read
                  # from a step of your own that runs stephost (docs/reporting.md).
                  - id: names
                    run: stephost run quickstart -f examples/quickstart/stephost.yaml -q --github-output names=steps.discover.outputs.names
                  - run: 'echo "names from stephost: $NAMES"'
                    env:
                      NAMES: ${{ steps.names.outputs.names }}
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
        #expect(messages.contains { $0.contains("names from stephost: [") && $0.contains("echo") && $0.contains("reverse") },
                "a later step reads a --github-output value: \(messages.suffix(15))")
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

    /// act's JSON lines: the messages, and whether it ended well.
    static func act(_ args: [String], cwd: String, timeout: Double) async throws -> (code: Int32, messages: [String], stderr: String) {
        let r = try await TestSupport.run(["act"] + args + ["-P", "ubuntu-latest=-self-hosted", "-P", "ubuntu-24.04=-self-hosted",
                                                             "-P", "ubuntu-24.04-arm=-self-hosted", "--no-cache-server", "--json"],
                                          cwd: cwd, timeout: timeout)
        let messages = r.stdout.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }.compactMap { $0["msg"]?.stringValue }
        return (r.code, messages, r.stderr)
    }

    @Test("release.yml on a tag v0.1.0 publishes the tarball and its .sha256 through the releases API; the action installs that release, and refuses it tampered")
    func release() async throws {
        let dir = try await copyOfRepository()
        _ = try await TestSupport.git(dir, ["remote", "add", "origin", "https://github.com/stephost-dev/stephost.git"])
        _ = try await TestSupport.git(dir, ["tag", "v0.1.0"])
        let releases = TestSupport.tempDir("releases"), artifacts = TestSupport.tempDir("artifacts")
        let github = try await LocalService.fake("github", env: ["FAKE_TOKEN": "release-token-77", "FAKE_RELEASES": releases])
        defer { github.stop() }
        let event = "\(TestSupport.tempDir("event"))/tag.json"
        TestSupport.write(event, #"{"ref": "refs/tags/v0.1.0", "ref_name": "v0.1.0", "ref_type": "tag"}"#)
        let fixtures = "\(TestSupport.repoRoot)/Tests/Fixtures/act"
        let standIns = Self.standIns + ["--local-repository", "actions/upload-artifact@v4=\(fixtures)/upload-artifact",
                                        "--local-repository", "actions/download-artifact@v4=\(fixtures)/download-artifact"]
        // The x86_64 leg only (this machine); the arm64 leg is the same job on GitHub's arm runner.
        let built = try await Self.act(["push", "-W", ".github/workflows/release.yml", "-e", event, "--matrix", "runner:ubuntu-24.04",
                                        "--env", "GITHUB_API_URL=http://\(github.address)", "--env", "STEPHOST_TEST_ARTIFACTS=\(artifacts)",
                                        "-s", "GITHUB_TOKEN=release-token-77"] + standIns, cwd: dir, timeout: 540)
        #expect(built.code == 0, "\(built.messages.suffix(30).joined(separator: "\n"))\n\(built.stderr.suffix(2000))")
        let arch = try await TestSupport.run(["uname", "-m"], cwd: "/").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let name = "stephost-0.1.0-linux-\(arch).tar.gz"
        let published = (try? FileManager.default.contentsOfDirectory(atPath: "\(releases)/v0.1.0"))?.sorted() ?? []
        #expect(published == [name, "\(name).sha256"], "\(published)")
        #expect(github.requests().contains { $0["method"] == "POST" && $0["path"] == "/repos/stephost-dev/stephost/releases" })

        // The action's version: input installs it from the mirror (STEPHOST_DOWNLOAD_URL), checksum verified.
        TestSupport.write("\(dir)/.github/workflows/install.yml", """
            on: push
            jobs:
              use:
                runs-on: ubuntu-latest
                steps:
                  - uses: actions/checkout@v4
                  - uses: ./
                    with: {version: 0.1.0}
                    env: {STEPHOST_DOWNLOAD_URL: "http://\(github.address)/download"}
                  - run: stephost --version && stephost run quickstart -f examples/quickstart/stephost.yaml --progress plain
            """)
        _ = try await TestSupport.commit(dir, [:], message: "install the release")
        let installed = try await Self.act(["push", "-W", ".github/workflows/install.yml"] + Self.standIns, cwd: dir, timeout: 300)
        #expect(installed.code == 0, "\(installed.messages.suffix(30).joined(separator: "\n"))")
        #expect(installed.messages.contains { $0.hasPrefix("stephost 0.1.0 (commit ") } && installed.messages.contains { $0.contains("6 success in") },
                "\(installed.messages.suffix(40).joined(separator: "\n"))")

        // A tarball changed after it was published: refused before it is unpacked.
        let tarball = "\(releases)/v0.1.0/\(name)"
        var bytes = try #require(FileManager.default.contents(atPath: tarball).map { [UInt8]($0) })
        bytes[bytes.count / 2] ^= 0xFF
        TestSupport.write(tarball, bytes: bytes)
        let refused = try await Self.act(["push", "-W", ".github/workflows/install.yml"] + Self.standIns, cwd: dir, timeout: 300)
        #expect(refused.code != 0 && refused.messages.contains { $0.contains("does not match its published .sha256") },
                "\(refused.messages.suffix(20).joined(separator: "\n"))")
    }
}

import Foundation
import StepProtocol
import Testing

/// The reference pipeline's alerts and its troubleshooting table: a failed deploy posts one
/// message and opens one issue, a second failure comments, the recovery closes it; and each
/// runbook row that the manifest's `hints:` cover is provoked for real and found.
@Suite("reference pipeline: alerts and the runbook's hints", .timeLimit(.minutes(5)))
struct ReferenceAlertsTests {
    static let webhookPath = "/hooks/T0/B0/refAlertSecret31"

    @Test("deploy --env dev fails: one chat message and one issue naming the step, its error and hint; again: one comment; recovered: closed",
          .enabled(if: FakeModal.canDeploy, "needs the modal package"))
    func deployAlerts() async throws {
        let hook = try await LocalService.fake("webhook")
        defer { hook.stop() }
        let token = ReferencePipelineTests.githubToken
        let github = try await LocalService.fake("github", env: ["FAKE_TOKEN": token])
        defer { github.stop() }
        let modal = try FakeModal()
        modal.seedSecrets(["REGISTRY_AUTH", "OPENAI_API_KEY", "LITELLM_API_BASE"])
        let service = try await LocalService.fake("service", arguments: ["\(modal.root)/state.json"])
        defer { service.stop() }
        let (repo, _) = try await ReferencePipelineTests().checkout()
        var env = modal.environment.merging(ReferencePipelineTests.secrets) { $1 }
        env.merge(["GITHUB_API_URL": "http://\(github.address)", "GITHUB_TOKEN": token, "GITHUB_REPOSITORY": "acme/theory",
                   "GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "4242",
                   "STEPHOST_ALERT_WEBHOOK": "http://\(hook.address)\(Self.webhookPath)"]) { $1 }
        let secrets = Array(ReferencePipelineTests.secrets.values) + [token, Self.webhookPath]
        func deploy() async throws -> [String: JSONValue] {
            let r = try await TestSupport.stephost(["run", "deploy", "--env", "dev", "--json", "--var", "SMOKE_URL=http://\(service.address)/dev"],
                                                   cwd: repo, env: env, timeout: 180)
            for s in secrets { #expect(!r.output.contains(s), "a secret in the run's output") }
            return try r.summary().stepsByID
        }
        func issuesOpened() -> Int { github.requests().filter { $0["method"] == "POST" && $0["path"] == "/repos/acme/theory/issues" }.count }
        func commentsMade() -> Int { github.requests().filter { $0["method"] == "POST" && ($0["path"]?.stringValue ?? "").hasSuffix("/comments") }.count }

        modal.fail(["deploy": "no-function"])
        let failed = try await deploy()
        #expect(failed["sync[llm_litellm]"]?["status"] == "failure", "\(failed.keys.sorted())")
        #expect(failed["alert"]?["status"] == "success" && failed["alert-issue"]?["status"] == "success")
        #expect(failed["resolved"]?["status"] == "skipped")
        #expect(hook.requests().count == 1, "one message")
        let message = try JSONParser.parse(try #require(hook.requests().first?["body"]?.stringValue))["text"]?.stringValue ?? ""
        for part in ["deploy failed on dev", "environment dev", "sync[llm_litellm]: function not found after modal deploy",
                     "hint: check that the deploy ran in the intended Modal environment", "https://github.com/acme/theory/actions/runs/4242"] {
            #expect(message.contains(part), "\(part) in \(message)")
        }
        #expect(issuesOpened() == 1)
        let body = github.requests().compactMap { $0["body"]?.stringValue }.joined() + hook.requests().compactMap { $0["body"]?.stringValue }.joined()
        for s in secrets { #expect(!body.contains(s), "a secret in an alert") }

        let again = try await deploy()
        #expect(again["alert-issue"]?["outputs"]?["sent"] == true)
        #expect(hook.requests().count == 2 && issuesOpened() == 1 && commentsMade() == 1, "a comment on the one issue")

        modal.fail([:])
        let fixed = try await deploy()
        #expect(fixed["smoke[llm_litellm]"]?["status"] == "success" && fixed["alert"]?["status"] == "skipped")
        #expect(fixed["resolved"]?["outputs"]?["sent"] == true, "\(fixed["resolved"] ?? .null)")
        let close = github.requests().filter { $0["method"] == "PATCH" }
        #expect(close.count == 1 && close.first?["body"]?.stringValue?.contains("\"closed\"") == true)
        #expect(hook.requests().count == 2, "a success posts no chat message")
    }

    /// The reference manifest and the pipeline's scripts in a repository of their own.
    func copy() async throws -> String {
        var files = try await TestSupport.repositoryFiles { path in
            path.hasSuffix(".md") || path == "stephost.yaml" || ["scripts/", "examples/", "Registry/", "benchmarks/"].contains { path.hasPrefix($0) }
        }
        files[".gitignore"] = ".stephost/\n"
        let repo = try await TestSupport.gitRepo(files, binaries: try await TestSupport.repositoryBinaries { $0.hasPrefix("docs/") })
        for script in ["scripts/docs.py", "scripts/lint.sh", "scripts/check-pr-template.py"] { chmod("\(repo)/\(script)", 0o755) }
        return repo
    }

    @Test("runbook row 3: unit tests failing on a pull request bring the manifest's hint (swift test's own failure output)")
    func unitTestsRow() async throws {
        let repo = try await copy()
        // A `swift` whose tests fail the way Swift Testing reports it; the build succeeds.
        let bin = TestSupport.tempDir("fake-swift")
        TestSupport.write("\(bin)/swift", """
            #!/bin/sh
            [ "$1" = test ] || exit 0
            echo '✘ Test "totals add up" recorded an issue at TotalsTests.swift:12:9: Expectation failed: (total → 3) == 4'
            echo '✘ Test run with 40 tests in 6 suites failed after 0.5 seconds with 1 issue.'
            exit 1
            """)
        chmod("\(bin)/swift", 0o755)
        let env = ["PATH": "\(bin):\(TestSupport.binDir):\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")"]
        let r = try await TestSupport.stephost(["run", "pull-request", "--json", "--progress", "plain"], cwd: repo, env: env, timeout: 120)
        #expect(r.code == 1)
        let unit = try r.summary().stepsByID["unit-tests"]
        #expect(unit?["status"] == "failure", "\(r.stderr)")
        let hints = unit?["hints"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(hints.count == 1 && hints[0].hasPrefix("unit tests failed: run them locally") && hints[0].contains("database migration"), "\(hints)")
        #expect(r.stderr.contains("hint: unit tests failed"), "shown under the failure")
    }

    @Test("runbook row 4: a docs build with a page missing from the table of contents brings the manifest's docs hint")
    func docsRow() async throws {
        let repo = try await copy()
        TestSupport.write("\(repo)/docs/plugins.md", (try String(contentsOfFile: "\(repo)/docs/plugins.md", encoding: .utf8)) + "\nSee [the missing page](gone.md).\n")
        let env = ["PATH": "\(TestSupport.binDir):\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")", "GITHUB_TOKEN": "ghs_docs123456"]
        let r = try await TestSupport.stephost(["run", "docs", "--json"], cwd: repo, env: env, timeout: 120)
        #expect(r.code == 1)
        let build = try r.summary().stepsByID["build"]
        #expect(build?["status"] == "failure", "\(r.stderr)")
        let hints = build?["hints"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(hints.count == 1 && hints[0].hasPrefix("docs build failed: a page referenced from a table of contents"), "\(hints)")
        #expect(r.stderr.contains("docs/plugins.md: link to gone.md, which does not exist"))
    }
}

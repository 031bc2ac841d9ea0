import Foundation
import StepProtocol
import Testing

/// The notify plugin against local stand-ins that speak the real interfaces: a Slack-style
/// incoming webhook (with 429 and 5xx answers) and GitHub's issue API (Tests/Fixtures/fake-http.py).
@Suite("notify: webhooks and self-resolving issues", .timeLimit(.minutes(3)))
struct NotifyTests {
    static let token = "ghs_notifyToken4455"
    static let hookPath = "/services/T01/B02/hookSecret9988"

    /// A run in which `deploy[eu]` failed twice with a hint, on GitHub Actions.
    var failedRun: StepRunRequest.Run {
        StepRunRequest.Run(id: "20261130T120000Z-abcd", workflow: "deploy", environment: "dev", event: "push", branch: "main",
                           sha: "3f2a9c0e1d2b4a5f6e7d8c9b0a1f2e3d4c5b6a79", base: "",
                           failures: [["workflow": "deploy", "step": "sync[llm_litellm]", "error": "function not found after modal deploy",
                                       "hint": "check --env", "hints": ["check --env", "the function name is exec__{slug}__v{ver}"], "attempts": 2]])
    }

    func call(_ with: [String: JSONValue], secrets: [String: String], run: StepRunRequest.Run? = nil, env: [String: String] = [:]) -> PluginCall {
        var c = PluginCall(plugin: "notify", with: with, workspace: TestSupport.tempDir("ws"), secrets: secrets)
        c.run = run ?? failedRun
        c.env = ["GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/theory", "GITHUB_RUN_ID": "777"].merging(env) { $1 }
        return c
    }

    @Test("slack: one {text, blocks} message naming workflow, environment, branch, commit, each failure with error and hints, and the CI run")
    func slack() async throws {
        let hook = try await LocalService.fake("webhook")
        defer { hook.stop() }
        let url = "http://\(hook.address)\(Self.hookPath)"
        let o = try await call(["webhook": "ALERT_WEBHOOK", "mention": "<!here>"], secrets: ["ALERT_WEBHOOK": url]).send()
        #expect(o.error == nil && o.outputs["sent"] == true && o.outputs["status"] == 200, "\(o.transcript)")
        #expect(!o.transcript.contains("hookSecret9988"), "the URL is never printed")
        let posts = hook.requests()
        #expect(posts.count == 1 && posts.first?["path"]?.stringValue == Self.hookPath)
        let body = try JSONParser.parse(try #require(posts.first?["body"]?.stringValue))
        let text = body["text"]?.stringValue ?? ""
        for part in ["deploy failed on dev", "<!here>", "workflow deploy", "environment dev", "branch main", "commit 3f2a9c0e1d2b",
                     "sync[llm_litellm]: function not found after modal deploy (after 2 attempts)", "hint: check --env",
                     "hint: the function name is exec__{slug}__v{ver}", "https://github.com/acme/theory/actions/runs/777"] {
            #expect(text.contains(part), "\(part) in \(text)")
        }
        let blocks = body["blocks"]?.arrayValue ?? []
        #expect(blocks.first?["type"] == "header" && blocks.first?["text"]?["text"] == "deploy failed on dev")
        #expect(blocks.last?["elements"]?.arrayValue?.first?["text"] == "<https://github.com/acme/theory/actions/runs/777|Open the CI run>")
    }

    @Test("429 and 500 are retried after Retry-After, three tries in all; three 500s fail the step (retryable) without the URL; 400 is not retried")
    func retries() async throws {
        let flaky = try await LocalService.fake("webhook", env: ["FAKE_WEBHOOK_STATUSES": "429,500", "FAKE_RETRY_AFTER": "1"])
        defer { flaky.stop() }
        let ok = try await call(["webhook": "HOOK", "format": "generic"], secrets: ["HOOK": "http://\(flaky.address)\(Self.hookPath)"]).send()
        #expect(ok.error == nil && ok.outputs["status"] == 200, "\(ok.transcript)")
        #expect(flaky.requests().count == 3)
        #expect(ok.logs.contains { $0.contains("the webhook answered HTTP 429 (try 1 of 3); again in 1 s") }, "\(ok.logs)")
        let generic = try JSONParser.parse(try #require(flaky.requests().last?["body"]?.stringValue))
        #expect(generic["status"] == "failure" && generic["run"]?["failures"]?.arrayValue?.first?["step"] == "sync[llm_litellm]")
        #expect(generic["url"] == "https://github.com/acme/theory/actions/runs/777")

        let down = try await LocalService.fake("webhook", env: ["FAKE_WEBHOOK_STATUSES": "500,502,503"])
        defer { down.stop() }
        let failed = try await call(["webhook": "HOOK"], secrets: ["HOOK": "http://\(down.address)\(Self.hookPath)"]).send()
        #expect(down.requests().count == 3)
        #expect(failed.error?.message == "the webhook answered HTTP 503 after 3 tries: server_error", "\(failed.transcript)")
        #expect(failed.error?.retryable == true)
        #expect(!failed.transcript.contains("hookSecret9988") && !failed.transcript.contains(down.address))

        let shape = try await LocalService.fake("webhook", env: ["FAKE_WEBHOOK_STATUSES": "400"])
        defer { shape.stop() }
        let refused = try await call(["webhook": "HOOK"], secrets: ["HOOK": "http://\(shape.address)\(Self.hookPath)"]).send()
        #expect(shape.requests().count == 1 && refused.error?.message.contains("HTTP 400") == true && refused.error?.retryable == false)
    }

    @Test("inputs: a webhook secret the step is not granted is an input error; an empty one (optional, not set) sends nothing")
    func inputs() async throws {
        let notGranted = try await call(["webhook": "HOOK"], secrets: [:]).send()
        #expect(notGranted.error?.code == .invalidParams && notGranted.error?.message.contains("not granted secret 'HOOK'") == true)
        #expect(notGranted.error?.hint?.contains("secrets: [HOOK]") == true)
        let empty = try await call(["webhook": "HOOK"], secrets: ["HOOK": ""]).send()
        #expect(empty.error == nil && empty.outputs["sent"] == false, "\(empty.transcript)")
        #expect(empty.logs.contains { $0.contains("no message sent") })
        let mixed = try await call(["webhook": "HOOK", "labels": ["x"]], secrets: ["HOOK": "http://127.0.0.1:9/x"]).send()
        #expect(mixed.error?.message.contains("with.labels: is for format: github-issue") == true)
    }

    @Test("github-issue: the first failure opens one issue, a later failure comments, a rerun of a run writes nothing twice, the recovery comments and closes it")
    func issueLifecycle() async throws {
        let github = try await LocalService.fake("github", env: ["FAKE_TOKEN": Self.token])
        defer { github.stop() }
        let api: JSONValue = .string("http://\(github.address)")
        func issue(_ run: StepRunRequest.Run, resolve: Bool = false) async throws -> PluginCall.Outcome {
            try await call(["format": "github-issue", "labels": ["alert"], "api-url": api, "resolve": .bool(resolve)],
                           secrets: ["GITHUB_TOKEN": Self.token], run: run).send()
        }
        func issues() -> [JSONValue] { github.requests().filter { $0["method"] == "POST" && $0["path"] == "/repos/acme/theory/issues" } }
        func comments() -> [JSONValue] { github.requests().filter { $0["method"] == "POST" && ($0["path"]?.stringValue ?? "").hasSuffix("/comments") } }

        let opened = try await issue(failedRun)
        #expect(opened.error == nil && opened.outputs["sent"] == true, "\(opened.transcript)")
        let number = try #require(opened.outputs["issue"]?.intValue)
        #expect(opened.outputs["url"]?.stringValue == "https://github.example/acme/theory/issues/\(number)")
        let created = try JSONParser.parse(try #require(issues().first?["body"]?.stringValue))
        #expect(created["title"] == "stephost: deploy failing on dev" && created["labels"] == ["alert"])
        #expect(created["body"]?.stringValue?.contains("sync[llm_litellm]: function not found after modal deploy") == true)
        #expect(github.requests().allSatisfy { $0["authorization"]?.stringValue == "Bearer \(Self.token)" })
        #expect(!opened.transcript.contains(Self.token))

        // The same run again (a retried step): nothing more.
        let retried = try await issue(failedRun)
        #expect(retried.outputs["sent"] == false && retried.outputs["issue"]?.intValue == number && issues().count == 1 && comments().isEmpty,
                "\(retried.transcript)")
        // Another failing run: one comment on the same issue.
        var later = failedRun
        later.id = "20261130T130000Z-beef"
        let again = try await issue(later)
        #expect(again.outputs["sent"] == true && again.outputs["issue"]?.intValue == number && issues().count == 1 && comments().count == 1)
        // A run of another environment is another issue.
        var staging = later
        staging.environment = "staging"
        let other = try await issue(staging)
        #expect(other.outputs["issue"]?.intValue != number && issues().count == 2)

        // A run that still has failures does not resolve; a successful one comments and closes; then there is nothing to resolve.
        var recovered = failedRun
        recovered.id = "20261130T140000Z-f00d"
        let notYet = try await issue(recovered, resolve: true)
        #expect(notYet.outputs["sent"] == false && !github.requests().contains { $0["method"] == "PATCH" })
        recovered.failures = []
        let closed = try await issue(recovered, resolve: true)
        #expect(closed.error == nil && closed.outputs["sent"] == true && closed.outputs["issue"]?.intValue == number, "\(closed.transcript)")
        let patch = github.requests().first { $0["method"] == "PATCH" }
        #expect(patch?["path"]?.stringValue == "/repos/acme/theory/issues/\(number)" && patch?["body"]?.stringValue?.contains("\"closed\"") == true)
        #expect(comments().count == 2)
        let nothing = try await issue(recovered, resolve: true)
        #expect(nothing.outputs["sent"] == false && github.requests().filter { $0["method"] == "PATCH" }.count == 1)
        // The next failure after a recovery opens a new issue.
        var relapse = later
        relapse.id = "20261130T150000Z-0bad"
        let reopened = try await issue(relapse)
        #expect(reopened.outputs["issue"]?.intValue != number && issues().count == 3)
    }

    @Test("github-issue: a pull request with the same title is not the issue; a refused token is an error with a hint, never the token")
    func issueEdges() async throws {
        let github = try await LocalService.fake("github", env: ["FAKE_TOKEN": Self.token])
        defer { github.stop() }
        let api: JSONValue = .string("http://\(github.address)")
        // A pull request titled like the alert (GitHub's issue list includes pull requests).
        let pr = try await TestSupport.run(["python3", "-c", """
            import json, sys, urllib.request
            req = urllib.request.Request(sys.argv[1], method="POST", headers={"Authorization": "Bearer " + sys.argv[2]},
                                         data=json.dumps({"title": "stephost: deploy failing on dev", "head": "x", "base": "main"}).encode())
            print(urllib.request.urlopen(req).read().decode())
            """, "http://\(github.address)/repos/acme/theory/pulls", Self.token], cwd: "/tmp")
        #expect(pr.code == 0 && pr.stdout.contains("\"number\": 1"), "\(pr.output)")
        let o = try await call(["format": "github-issue", "api-url": api], secrets: ["GITHUB_TOKEN": Self.token]).send()
        #expect(o.outputs["issue"] == 2, "a new issue, not the pull request: \(o.transcript)")

        let refused = try await call(["format": "github-issue", "api-url": api], secrets: ["GITHUB_TOKEN": "ghs_wrongToken000"]).send()
        #expect(refused.error?.message.contains("HTTP 401") == true && refused.error?.hint?.contains("token") == true)
        #expect(!refused.transcript.contains("ghs_wrongToken000"))
        let noRepo = try await call(["format": "github-issue", "api-url": api], secrets: ["GITHUB_TOKEN": Self.token], env: ["GITHUB_REPOSITORY": ""]).send()
        #expect(noRepo.error?.message.contains("with.repository") == true, "\(noRepo.transcript)")
    }
}

import Foundation
import StepProtocol
import Testing

/// bot-pr against a real bare git repository as the remote and a fake GitHub API that records each request.
@Suite("bot-pr", .timeLimit(.minutes(2)))
struct BotPRTests {
    static let token = "ghs_botTokenValue1234"
    static let registryFile = "Registry/processors/llm_litellm.yaml"

    struct Setup {
        var remote: String
        var clone: String
        var github: LocalService
        var gitLog: String
    }

    /// A bare remote with one commit on main, a clone of it as the workspace, and the fake GitHub API.
    func setup(env: [String: String] = [:]) async throws -> Setup {
        let remote = "\(TestSupport.tempDir("remote"))/theory.git"
        let seed = try await TestSupport.gitRepo([Self.registryFile: "name: llm/litellm@1\nimage:\n  oci: ghcr.io/acme/x:latest\n", "README.md": "readme\n"])
        for cmd in [["git", "init", "-q", "--bare", "-b", "main", remote], ["git", "-C", seed, "push", "-q", remote, "main"]] {
            let r = try await TestSupport.run(cmd, cwd: "/tmp")
            #expect(r.code == 0, "\(cmd): \(r.stderr)")
        }
        let clone = TestSupport.tempDir("clone")
        let r = try await TestSupport.run(["git", "clone", "-q", remote, clone], cwd: "/tmp")
        #expect(r.code == 0, "\(r.stderr)")
        let github = try await LocalService.fake("github", env: ["FAKE_TOKEN": Self.token].merging(env) { $1 })
        return Setup(remote: remote, clone: clone, github: github, gitLog: "\(TestSupport.tempDir("git"))/git.jsonl")
    }

    func call(_ s: Setup, files: [String] = ["Registry/processors"], extra: [String: JSONValue] = [:], token: String? = token) async throws -> PluginCall.Outcome {
        var with: [String: JSONValue] = ["files": .array(files.map(JSONValue.string)), "title": "Pin processor images", "body": "Digests from the build.",
                                         "labels": ["bot", "pins"], "repository": "acme/theory", "api-url": .string("http://\(s.github.address)"),
                                         "git": .string("\(TestSupport.repoRoot)/Tests/Fixtures/git-recorder")]
        for (k, v) in extra { with[k] = v }
        var c = PluginCall(plugin: "bot-pr", with: with, workspace: s.clone, secrets: token.map { ["GITHUB_TOKEN": $0] } ?? [:])
        c.run.workflow = "main"
        c.stepID = "pr"
        c.env = ["GIT_RECORDER_LOG": s.gitLog]
        return try await c.send()
    }

    func git(_ dir: String, _ args: [String]) async throws -> String {
        try await TestSupport.run(["git", "-C", dir] + args, cwd: "/tmp").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("commits only the given files on the branch, pushes it and opens a PR with labels; the checkout is untouched")
    func opensPR() async throws {
        let s = try await setup()
        defer { s.github.stop() }
        TestSupport.write("\(s.clone)/\(Self.registryFile)", "name: llm/litellm@1\nimage:\n  oci: ghcr.io/acme/x@sha256:\(String(repeating: "c", count: 64))\n")
        TestSupport.write("\(s.clone)/README.md", "local edit that is not for the bot\n")
        let statusBefore = try await git(s.clone, ["status", "--porcelain"])
        let headBefore = try await git(s.clone, ["rev-parse", "HEAD"])

        let o = try await call(s)
        #expect(o.error == nil, "\(o.transcript)")
        #expect(o.outputs["changed"] == true)
        #expect(o.outputs["branch"]?.stringValue == "stephost/main-pr")
        #expect(o.outputs["number"] == 1)
        #expect(o.outputs["url"]?.stringValue == "https://github.example/acme/theory/pull/1")
        let commit = try #require(o.outputs["commit"]?.stringValue)

        // The remote has the branch with exactly that change on top of main.
        #expect(try await git(s.remote, ["rev-parse", "refs/heads/stephost/main-pr"]) == commit)
        #expect(try await git(s.remote, ["rev-parse", "\(commit)^"]) == (try await git(s.remote, ["rev-parse", "main"])))
        #expect(try await git(s.remote, ["diff-tree", "--no-commit-id", "-r", "--name-only", commit]) == Self.registryFile)
        #expect(try await git(s.remote, ["log", "-1", "--format=%an <%ae>|%s", commit]) == "stephost-bot <stephost-bot@users.noreply.github.com>|Pin processor images")

        // The workspace: same HEAD, same branch, same status, nothing staged.
        #expect(try await git(s.clone, ["rev-parse", "HEAD"]) == headBefore)
        #expect(try await git(s.clone, ["status", "--porcelain"]) == statusBefore)
        #expect(try await git(s.clone, ["symbolic-ref", "--short", "HEAD"]) == "main")
        #expect(try await git(s.clone, ["for-each-ref", "refs/stephost"]) == "", "no fetch refs are left behind")

        // The API calls: look for an open PR, open one, label it; each with the token.
        let requests = s.github.requests()
        #expect(requests.map { "\($0["method"]?.stringValue ?? "") \($0["path"]?.stringValue ?? "")" } == [
            "GET /repos/acme/theory/pulls", "POST /repos/acme/theory/pulls", "POST /repos/acme/theory/issues/1/labels"])
        #expect(requests.allSatisfy { $0["authorization"]?.stringValue == "Bearer \(Self.token)" })
        #expect(requests[0]["query"]?["head"]?.arrayValue?.first?.stringValue == "acme:stephost/main-pr")
        let body = try JSONParser.parse(requests[1]["body"]?.stringValue ?? "")
        #expect(body == ["title": "Pin processor images", "body": "Digests from the build.", "head": "stephost/main-pr", "base": "main"])
        #expect(try JSONParser.parse(requests[2]["body"]?.stringValue ?? "") == ["labels": ["bot", "pins"]])
    }

    @Test("the token reaches git only as a header in GIT_CONFIG_* of the push; never argv, .git/config or a log")
    func tokenHandling() async throws {
        let s = try await setup()
        defer { s.github.stop() }
        TestSupport.write("\(s.clone)/\(Self.registryFile)", "name: llm/litellm@1\nimage:\n  oci: ghcr.io/acme/x@sha256:\(String(repeating: "d", count: 64))\n")
        let o = try await call(s)
        #expect(o.error == nil, "\(o.transcript)")
        let calls = ((try? String(contentsOfFile: s.gitLog, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
        #expect(!calls.isEmpty)
        let header = "AUTHORIZATION: basic " + Data("x-access-token:\(Self.token)".utf8).base64EncodedString()
        for c in calls {
            let argv = (c["argv"]?.arrayValue ?? []).compactMap(\.stringValue)
            #expect(!argv.joined(separator: " ").contains(Self.token) && !argv.joined(separator: " ").contains(header), "token in argv: \(argv)")
            // The contract: the token reaches git only for the push (this remote never refuses a fetch, so no retry with it).
            let isPush = argv.first == "push"
            let hasHeader = c["config"]?.objectValue?.values.contains { $0.stringValue == header } ?? false
            #expect(hasHeader == isPush, "git \(argv.first ?? "") \(isPush ? "lacks" : "gets") the header")
        }
        #expect(calls.contains { $0["argv"]?.arrayValue?.first?.stringValue == "push" })
        let config = try String(contentsOfFile: "\(s.clone)/.git/config", encoding: .utf8)
        #expect(!config.contains(Self.token) && !config.contains("extraheader"))
        #expect(!o.transcript.contains(Self.token))
    }

    @Test("a remote that refuses an anonymous fetch: the fetch is tried once more with the token")
    func privateRemote() async throws {
        let s = try await setup()
        defer { s.github.stop() }
        TestSupport.write("\(s.clone)/\(Self.registryFile)", "name: llm/litellm@1\nimage:\n  oci: ghcr.io/acme/x@sha256:\(String(repeating: "5", count: 64))\n")
        var c = PluginCall(plugin: "bot-pr", with: ["files": [.string(Self.registryFile)], "title": "t", "repository": "acme/theory",
                                                     "api-url": .string("http://\(s.github.address)"),
                                                     "git": .string("\(TestSupport.repoRoot)/Tests/Fixtures/git-recorder")],
                           workspace: s.clone, secrets: ["GITHUB_TOKEN": Self.token])
        c.env = ["GIT_RECORDER_LOG": s.gitLog, "GIT_RECORDER_PRIVATE": "1"]
        let o = try await c.send()
        #expect(o.error == nil, "\(o.transcript)")
        #expect(o.outputs["changed"] == true)
        #expect(o.logs.contains { $0.contains("git fetch without credentials failed; trying again with GITHUB_TOKEN") })
        let withoutToken = try await PluginCall(plugin: "bot-pr", with: c.with, workspace: s.clone, env: c.env).send()
        #expect(withoutToken.error?.message.contains("Authentication failed") == true, "\(withoutToken.transcript)")
    }

    @Test("a second run with the same change pushes nothing and opens no second PR; a new change updates the same PR")
    func idempotent() async throws {
        let s = try await setup()
        defer { s.github.stop() }
        let pinned = { (c: Character) in "name: llm/litellm@1\nimage:\n  oci: ghcr.io/acme/x@sha256:\(String(repeating: c, count: 64))\n" }
        TestSupport.write("\(s.clone)/\(Self.registryFile)", pinned("e"))
        let first = try await call(s)
        #expect(first.outputs["changed"] == true, "\(first.transcript)")

        let again = try await call(s)
        #expect(again.error == nil, "\(again.transcript)")
        #expect(again.outputs["changed"] == false)
        #expect(again.outputs["number"] == 1)
        #expect(again.outputs["commit"] == first.outputs["commit"])
        #expect(s.github.requests().filter { $0["method"]?.stringValue == "POST" && $0["path"]?.stringValue == "/repos/acme/theory/pulls" }.count == 1)

        TestSupport.write("\(s.clone)/\(Self.registryFile)", pinned("f"))
        let third = try await call(s, extra: ["title": "Pin processor images (2)"])
        #expect(third.outputs["changed"] == true, "\(third.transcript)")
        #expect(third.outputs["number"] == 1)
        #expect(try await git(s.remote, ["rev-parse", "refs/heads/stephost/main-pr"]) == third.outputs["commit"]?.stringValue)
        let patch = s.github.requests().first { $0["method"]?.stringValue == "PATCH" }
        #expect(patch?["path"]?.stringValue == "/repos/acme/theory/pulls/1")
        #expect(try JSONParser.parse(patch?["body"]?.stringValue ?? "null")["title"]?.stringValue == "Pin processor images (2)")
    }

    @Test("files equal to the base: no branch, no PR, changed false")
    func nothingToCommit() async throws {
        let s = try await setup()
        defer { s.github.stop() }
        TestSupport.write("\(s.clone)/README.md", "an edit outside the given files\n")
        let o = try await call(s)
        #expect(o.error == nil, "\(o.transcript)")
        #expect(o.outputs["changed"] == false)
        #expect(o.outputs["number"] == .null)
        #expect(s.github.requests().isEmpty)
        #expect(try await git(s.remote, ["branch", "--list", "stephost/*"]) == "")
    }

    @Test("GitHub refusing the PR gives its message and a hint on the repository setting")
    func forbidden() async throws {
        let s = try await setup(env: ["FAKE_FORBID_PR": "1"])
        defer { s.github.stop() }
        TestSupport.write("\(s.clone)/\(Self.registryFile)", "name: llm/litellm@1\nimage:\n  oci: ghcr.io/acme/x@sha256:\(String(repeating: "a", count: 64))\n")
        let o = try await call(s)
        #expect(o.error?.message.contains("HTTP 403: GitHub Actions is not permitted to create or approve pull requests") == true, "\(o.transcript)")
        #expect(o.error?.hint?.contains("Allow GitHub Actions to create and approve pull requests") == true)
    }

    @Test("a wrong token: 401 with a hint; no token at all: refused before anything is pushed")
    func tokens() async throws {
        let s = try await setup()
        defer { s.github.stop() }
        TestSupport.write("\(s.clone)/\(Self.registryFile)", "name: llm/litellm@1\nimage:\n  oci: ghcr.io/acme/x@sha256:\(String(repeating: "b", count: 64))\n")
        let none = try await call(s, token: nil)
        #expect(none.error?.message.contains("GITHUB_TOKEN is not granted") == true, "\(none.transcript)")
        #expect(try await git(s.remote, ["branch", "--list", "stephost/*"]) == "", "nothing pushed without a token")
        let wrong = try await call(s, token: "ghs_wrong-token")
        #expect(wrong.error?.message.contains("HTTP 401") == true, "\(wrong.transcript)")
        #expect(wrong.error?.hint?.contains("GITHUB_TOKEN") == true)
    }

    @Test("a dry run says what it would commit and pushes nothing")
    func dryRun() async throws {
        let s = try await setup()
        defer { s.github.stop() }
        TestSupport.write("\(s.clone)/\(Self.registryFile)", "name: llm/litellm@1\nimage:\n  oci: ghcr.io/acme/x@sha256:\(String(repeating: "9", count: 64))\n")
        var c = PluginCall(plugin: "bot-pr", with: ["files": [.string(Self.registryFile)], "title": "t", "repository": "acme/theory",
                                                     "api-url": .string("http://\(s.github.address)")], workspace: s.clone, secrets: ["GITHUB_TOKEN": Self.token])
        c.dryRun = true
        let o = try await c.send()
        #expect(o.result?.summary?.contains("would commit 1 file(s)") == true, "\(o.transcript)")
        #expect(s.github.requests().isEmpty)
        #expect(try await git(s.remote, ["branch", "--list", "stephost/*"]) == "")

        // Files as on main (in a dry run pin-digest changes nothing): not "nothing to commit", but unknown.
        _ = try await git(s.clone, ["checkout", "--", Self.registryFile])
        let unchanged = try await c.send()
        let summary = unchanged.result?.summary ?? ""
        #expect(!summary.contains("nothing to commit") && summary.contains("what would differ is unknown"), "\(unchanged.transcript)")
    }

    @Test("the default branch of a for-each instance is a valid branch name")
    func instanceBranch() async throws {
        let s = try await setup()
        defer { s.github.stop() }
        TestSupport.write("\(s.clone)/\(Self.registryFile)", "name: llm/litellm@1\nimage:\n  oci: ghcr.io/acme/x@sha256:\(String(repeating: "7", count: 64))\n")
        var c = PluginCall(plugin: "bot-pr", with: ["files": [.string(Self.registryFile)], "title": "t", "repository": "acme/theory"], workspace: s.clone)
        c.stepID = "pr[llm_litellm]"
        c.dryRun = true
        let o = try await c.send()
        #expect(o.outputs["branch"]?.stringValue == "stephost/wf-pr-llm_litellm", "\(o.transcript)")
    }

    @Test("owner/name from the remote URL", arguments: [
        ("https://github.com/acme/theory.git", "acme/theory"), ("git@github.com:acme/theory.git", "acme/theory"),
        ("ssh://git@ghe.example.com/acme/theory", "acme/theory"), ("https://x-access-token@github.com/acme/theory/", "acme/theory"), ("/srv/git/acme/theory.git", "acme/theory"),
        ("file:///srv/git/acme/theory.git", "acme/theory"),
    ])
    func remoteURLs(url: String, expected: String) async throws {
        let s = try await setup()
        defer { s.github.stop() }
        _ = try await git(s.clone, ["remote", "set-url", "origin", url])
        TestSupport.write("\(s.clone)/README.md", "changed\n")
        var c = PluginCall(plugin: "bot-pr", with: ["files": ["README.md"], "title": "t"], workspace: s.clone)
        c.dryRun = true
        let o = try await c.send()
        #expect(o.result?.summary?.contains("PR on \(expected) to main") == true, "\(o.transcript)")
    }
}

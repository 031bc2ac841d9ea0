import Foundation
import StepProtocol
import Testing

/// The repository's own stephost.yaml, end to end, with the real plugins: the image half
/// against Debian's docker-registry, buildah and a bare git remote (GitHub's API faked), the
/// Modal half against the fake `modal` CLI and SDK, smoke tests against a local HTTP service.
@Suite("reference pipeline end to end", .timeLimit(.minutes(8)),
       .enabled(if: (LocalService.haveRegistry && FileManager.default.isExecutableFile(atPath: "/usr/bin/buildah") && FakeModal.canDeploy) || TestSupport.inCI,
                "needs docker-registry, buildah and the modal package"))
struct ReferencePipelineTests {
    static let githubToken = "ghs_refPipelineToken42"
    static let secrets = ["MODAL_TOKEN_ID": "ak-ref-token-id", "MODAL_TOKEN_SECRET": "as-ref-token-secret",
                          "GHCR_PULL_USERNAME": "pull-bot", "GHCR_PULL_TOKEN": "ghp_pullOnly9876",
                          "OPENAI_API_KEY_DEV": "sk-dev-key-1111", "OPENAI_API_KEY_MAIN": "sk-main-key-2222",
                          "LITELLM_API_BASE": "https://litellm.internal.example"]
    static let registryDir = "Registry/processors"
    static let wordcount = "examples/theory/processors/text_wordcount/main.py"

    /// This repository's pipeline files in a new git repository of their own, with a bare remote as origin.
    func checkout() async throws -> (repo: String, remote: String) {
        var files = try await TestSupport.repositoryFiles { $0 == "stephost.yaml" || $0.hasPrefix("Registry/") || $0.hasPrefix("examples/theory/") }
        files[".gitignore"] = ".stephost/\n__pycache__/\n"
        let repo = try await TestSupport.gitRepo(files)
        let remote = "\(TestSupport.tempDir("remote"))/theory.git"
        _ = try await TestSupport.git("/tmp", ["init", "-q", "--bare", "-b", "main", remote])
        _ = try await TestSupport.git(repo, ["remote", "add", "origin", remote])
        _ = try await TestSupport.git(repo, ["push", "-q", "origin", "main"])
        return (repo, remote)
    }

    func pinned(_ repo: String, _ name: String) throws -> String {
        let text = try String(contentsOfFile: "\(repo)/\(Self.registryDir)/\(name).yaml", encoding: .utf8)
        return text.split(separator: "\n").first { $0.hasPrefix("  oci: ") }.map { String($0.dropFirst(7)) } ?? ""
    }

    @Test("build and pin what changed, ensure secrets, deploy dev in order with smoke tests, redeploy a new pin, roll back to an earlier registry revision, rebuild everything for staging")
    func pipeline() async throws {
        let registry = try await LocalService.registry()
        defer { registry.stop() }
        let github = try await LocalService.fake("github", env: ["FAKE_TOKEN": Self.githubToken])
        defer { github.stop() }
        let modal = try FakeModal()
        let service = try await LocalService.fake("service", arguments: ["\(modal.root)/state.json"])
        defer { service.stop() }

        let (repo, _) = try await checkout()
        let prefix = "\(registry.address)/acme"
        var env = DockerBuildTests.storageEnv().merging(modal.environment) { $1 }.merging(Self.secrets) { $1 }
        env.merge(["GITHUB_API_URL": "http://\(github.address)", "GITHUB_TOKEN": Self.githubToken, "GITHUB_ACTOR": "stephost-bot",
                   "GITHUB_REPOSITORY": "acme/theory"]) { $1 }
        let imageVars = ["--var", "IMAGE_PREFIX=\(prefix)", "--var", "INSECURE_REGISTRY=true"]
        let smoke = ["--var", "SMOKE_URL=http://\(service.address)/dev"]
        func stephost(_ args: [String]) async throws -> TestSupport.Result {
            let r = try await TestSupport.stephost(args + ["--json"], cwd: repo, env: env, timeout: 300)
            #expect(r.code == 0, "stephost \(args.joined(separator: " ")):\n\(r.output)")
            for value in Self.secrets.values + [Self.githubToken] { #expect(!r.output.contains(value), "a secret in the output of \(args)") }
            return r
        }

        // main: a change to one processor builds, pushes and pins only that one, and opens the bot PR.
        let c0 = try await TestSupport.git(repo, ["rev-parse", "HEAD"])
        _ = try await TestSupport.commit(repo, [Self.wordcount: "print('wordcount v2')\n"], message: "wordcount v2")
        let images = try await stephost(["run", "main", "--base", c0] + imageVars).summary().stepsByID
        #expect(Set(images.keys.filter { $0.hasPrefix("build") }) == ["build[text_wordcount]"], "\(images.keys.sorted())")
        let first = try pinned(repo, "text_wordcount")
        #expect(first.hasPrefix("\(prefix)/text_wordcount@sha256:"), "\(first)")
        #expect(images["pr"]?["outputs"]?["changed"] == true)
        let c2 = try await TestSupport.commit(repo, [:], message: "merge the bot's pin")   // the pin, as merged
        #expect(try pinned(repo, "llm_litellm").hasPrefix("ghcr.io/stephost-dev/theory/llm_litellm@sha256:"), "the unchanged processor keeps its pin")

        // secrets-ensure: three secrets in each of dev, staging and main, values from each environment's sources.
        _ = try await stephost(["run", "secrets-ensure"])
        let secrets = modal.state()["secrets"]
        for e in ["dev", "staging", "main"] {
            #expect(secrets?[e]?.objectValue?.keys.sorted() == ["LITELLM_API_BASE", "OPENAI_API_KEY", "REGISTRY_AUTH"], "\(e)")
            #expect(secrets?[e]?["REGISTRY_AUTH"] == ["REGISTRY_USERNAME": "pull-bot", "REGISTRY_PASSWORD": "ghp_pullOnly9876"])
        }
        #expect(secrets?["dev"]?["OPENAI_API_KEY"]?["OPENAI_API_KEY"] == "sk-dev-key-1111")
        #expect(secrets?["staging"]?["OPENAI_API_KEY"]?["OPENAI_API_KEY"] == "sk-main-key-2222")
        #expect(secrets?["main"]?["OPENAI_API_KEY"]?["OPENAI_API_KEY"] == "sk-main-key-2222")

        // deploy --env dev: secrets verified and pins checked, then each function, the app, the smoke tests.
        var deployed = try await stephost(["run", "deploy", "--env", "dev"] + smoke).summary().stepsByID
        // The alerts: nothing failed, so no message and no issue; the recovery step finds no alert configured here.
        #expect(deployed.removeValue(forKey: "alert")?["status"] == "skipped")
        #expect(deployed.removeValue(forKey: "alert-issue")?["status"] == "skipped")
        #expect(deployed.removeValue(forKey: "resolved")?["outputs"]?["sent"] == false)
        #expect(deployed.keys.sorted() == ["app", "pins", "processors", "secrets", "smoke[llm_litellm]", "smoke[text_wordcount]",
                                           "sync[llm_litellm]", "sync[text_wordcount]"])
        #expect(deployed.values.allSatisfy { $0["status"] == "success" })
        #expect(modal.function("exec__text_wordcount__v1", env: "dev")?["image"] == .string(first))
        #expect(modal.function("exec__llm_litellm__v1", env: "dev")?["secrets"] == ["OPENAI_API_KEY", "LITELLM_API_BASE"])
        #expect(modal.state()["apps"]?["staging"] == nil, "only the environment asked for")
        #expect(service.requests().count == 2, "one smoke test per function")

        // A second change is built, pinned and deployed; then a rollback to c2 redeploys c2's pin.
        _ = try await TestSupport.commit(repo, [Self.wordcount: "print('wordcount v3')\n"], message: "wordcount v3")
        _ = try await stephost(["run", "main", "--base", c2] + imageVars)
        let second = try pinned(repo, "text_wordcount")
        #expect(second != first && second.hasPrefix("\(prefix)/text_wordcount@sha256:"))
        _ = try await TestSupport.commit(repo, [:], message: "merge the bot's second pin")
        _ = try await stephost(["run", "deploy", "--env", "dev"] + smoke)
        #expect(modal.function("exec__text_wordcount__v1", env: "dev")?["image"] == .string(second))

        let rolledBack = try await stephost(["run", "rollback", "--env", "dev", "--var", "registry-rev=\(c2)"] + smoke).summary().stepsByID
        #expect(rolledBack["smoke[text_wordcount]"]?["status"] == "success")
        #expect(modal.function("exec__text_wordcount__v1", env: "dev")?["image"] == .string(first), "the rollback deploys the earlier digest")
        #expect(try pinned(repo, "text_wordcount") == second, "the working tree is untouched")
        #expect(try await TestSupport.git(repo, ["status", "--porcelain"]).isEmpty)

        // full --env staging: every processor built, pushed and pinned whether it changed or not, then staging's secrets and deploy.
        let full = try await stephost(["run", "full", "--env", "staging", "--var", "SMOKE_URL=http://\(service.address)/staging"] + imageVars).summary().stepsByID
        #expect(Set(full.keys.filter { $0.hasPrefix("build") }) == ["build[llm_litellm]", "build[text_wordcount]"], "\(full.keys.sorted())")
        let litellm = try pinned(repo, "llm_litellm")
        #expect(litellm.hasPrefix("\(prefix)/llm_litellm@sha256:"), "\(litellm)")
        #expect(try pinned(repo, "text_wordcount") == second, "the same sources rebuild to the same digest")
        #expect(full["pin[text_wordcount]"]?["outputs"]?["changed"] == false)
        #expect(modal.function("exec__llm_litellm__v1", env: "staging")?["image"] == .string(litellm))
        #expect(modal.function("exec__text_wordcount__v1", env: "staging")?["image"] == .string(second))
        #expect(full["smoke[llm_litellm]"]?["status"] == "success")

        // Every modal call: --env given, --force on create, no secret value on a command line, the token in its environment.
        let calls = modal.calls().filter { $0["argv"]?.arrayValue?.first != "sdk" }
        #expect(calls.count >= 9 + 9)
        for call in calls {
            let argv = (call["argv"]?.arrayValue ?? []).compactMap(\.stringValue)
            #expect(argv.contains("--env"), "\(argv)")
            if argv.starts(with: ["secret", "create"]) { #expect(argv.last == "--force") }
            for value in Self.secrets.values { #expect(!argv.contains { $0.contains(value) }, "\(argv)") }
            #expect(call["env"]?["MODAL_TOKEN_ID"] == "ak-ref-token-id")
            if argv.first == "deploy" || argv.starts(with: ["secret", "create"]) {
                #expect(call["env"]?["OPENAI_API_KEY"] == nil && call["env"]?["REGISTRY_PASSWORD"] == nil, "only the token reaches modal's environment")
            }
        }
    }

    @Test("stephost run deploy --env main --dry-run prints every step with its resolved inputs and changes nothing")
    func dryRun() async throws {
        let modal = try FakeModal()
        let (repo, _) = try await checkout()
        var env = modal.environment.merging(Self.secrets) { $1 }
        env["MODAL_TOKEN_ID"] = ""
        // A dry run needs no production credential: a missing one is listed, and its steps get an empty value.
        let noToken = try await TestSupport.stephost(["run", "deploy", "--env", "main", "--dry-run"], cwd: repo, env: env, timeout: 120)
        #expect(noToken.code == 0, "\(noToken.output)")
        #expect(noToken.output.components(separatedBy: "dry run: would need MODAL_TOKEN_ID from env:MODAL_TOKEN_ID (environment 'main')").count == 2,
                "said once, however many steps are granted it: \(noToken.output)")
        #expect(modal.calls().isEmpty && !noToken.output.contains("ak-ref-token-id"))
        env["MODAL_TOKEN_ID"] = Self.secrets["MODAL_TOKEN_ID"]
        let r = try await TestSupport.stephost(["run", "deploy", "--env", "main", "--dry-run"], cwd: repo, env: env, timeout: 120)
        #expect(r.code == 0, "\(r.output)")
        for step in ["processors", "pins", "secrets", "sync[llm_litellm]", "sync[text_wordcount]", "app", "smoke[llm_litellm]", "smoke[text_wordcount]"] {
            #expect(r.output.contains("[\(step)] with {"), "\(step) shows its inputs")
        }
        #expect(r.output.contains(#"[sync[text_wordcount]] with {"app":"theory-rt","cwd":"Registry","modal-environment":"main","processor":"text/wordcount@1""#), "\(r.output)")
        #expect(r.output.contains("would run `modal deploy --env main -m modal_app` in Registry for exec__llm_litellm__v1"))
        #expect(r.output.contains("would check GET https://theory.example.com/api/processors/exec__text_wordcount__v1"))
        #expect(modal.calls().isEmpty, "nothing reached Modal")
        #expect(try await TestSupport.git(repo, ["status", "--porcelain"]).isEmpty)
    }

    /// A checkout whose text_wordcount registry file holds a tag instead of a digest (committed).
    func checkoutPinningATag() async throws -> String {
        let (repo, _) = try await checkout()
        let file = "\(repo)/\(Self.registryDir)/text_wordcount.yaml"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        _ = try await TestSupport.commit(repo, ["\(Self.registryDir)/text_wordcount.yaml": text.replacingOccurrences(
            of: #"@sha256:[0-9a-f]{64}"#, with: ":latest", options: .regularExpression)], message: "a tag")
        return repo
    }

    @Test("deploy refuses a registry file that holds a tag, naming it, before anything reaches Modal")
    func refusesTags() async throws {
        let modal = try FakeModal()
        let repo = try await checkoutPinningATag()
        let r = try await TestSupport.stephost(["run", "deploy", "--env", "dev"], cwd: repo, env: modal.environment.merging(Self.secrets) { $1 }, timeout: 120)
        #expect(r.code == 1)
        #expect(r.output.contains("Registry/processors/text_wordcount.yaml: image.oci is 'ghcr.io/stephost-dev/theory/text_wordcount:latest'"), "\(r.output)")
        #expect(!modal.argvs().contains { $0.first == "deploy" }, "no deploy after a failed pin check")
    }

    @Test("inside GitHub Actions (act), a failing deploy shows a group per step, an annotation for the failure, the summary table, no secret",
          .enabled(if: ActRunner.available || TestSupport.inCI))
    func deployInsideAct() async throws {
        let modal = try FakeModal()
        let repo = try await checkoutPinningATag()
        let env = modal.environment.merging(Self.secrets) { $1 }
        let act = try await ActRunner.run(repo: repo, workflow: """
            on: push
            jobs:
              deploy:
                runs-on: ubuntu-latest
                steps:
                  # act runs the step on a pseudo-terminal and can lose what was written just before its last writer
                  # closed it (GitHub's runner uses pipes): the shell holds it open a moment after stephost ends.
                  - run: cd "\(repo)"; code=0; "\(TestSupport.stephost)" run deploy --env dev || code=$?; sleep 1; exit $code
                    env:
            \(ActRunner.envBlock(env, indent: 10))
            """)
        #expect(act.code != 0, "the job fails with the deploy")
        let e = act.events
        let groups = e.filter { $0.command == "group" }.map(\.arg)
        #expect(groups.count >= 3 && e.filter { $0.command == "endgroup" }.count == groups.count,
                "\(groups)\n\(e.map(\.message).suffix(60).joined(separator: "\n"))")
        // pins and secrets run at once: at least one is held and titled with its outcome (one may stream live,
        // which depends on which starts first); sync is skipped as a whole.
        let pins = groups.filter { $0.hasSuffix(" pins (exec)") || $0 == "pins (exec)" }
        let secrets = groups.filter { $0.hasSuffix(" secrets (exec)") || $0 == "secrets (exec)" }
        let both = pins + secrets
        #expect(pins.count == 1 && secrets.count == 1 && both.allSatisfy { $0.hasPrefix("❌ ") || $0 == "pins (exec)" || $0 == "secrets (exec)" }
                && both.contains { $0.hasPrefix("❌ ") } && groups.contains("⏭️ sync (sync-modal)"), "one group per step: \(groups)")
        // The annotation carries the command's last lines: what went wrong, not only that it did.
        #expect(e.contains { $0.command == "error" && $0.property("title") == "pins failed" && $0.arg.hasPrefix("command exited with exit status 1; its last lines:")
                             && $0.arg.contains("1 registry file(s) not pinned to a digest") },
                "\(e.filter { $0.command != nil }.map { "\($0.command ?? "") \($0.arg)" })\n\(e.map(\.message).suffix(40).joined(separator: "\n"))")
        let summary = e.filter { $0.command == "summary" }.map(\.message).joined(separator: "\n")
        #expect(summary.contains("| ❌ | `pins` |") && summary.contains("image.oci is 'ghcr.io/stephost-dev/theory/text_wordcount:latest'"),
                "the summary table, and the failed step's last lines: \(summary)")
        for value in Self.secrets.values where value.count >= 4 {
            #expect(!e.contains { $0.command != "add-mask" && $0.message.contains(value) }, "a secret in act's log")
        }
        #expect(Set(e.filter { $0.command == "add-mask" }.map(\.arg)).isSuperset(of: ["ak-ref-token-id", "as-ref-token-secret"]),
                "the granted secrets are masked in the runner before anything else")
    }
}

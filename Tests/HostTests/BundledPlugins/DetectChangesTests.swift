import Foundation
import StepProtocol
import Testing

/// detect-changes against real git repositories.
@Suite("detect-changes", .timeLimit(.minutes(2)))
struct DetectChangesTests {
    static let groups: JSONValue = ["processors": "code/apps/core/processors/*", "registry": "code/apps/core/registry/*"]

    /// A repository with three processors, then a commit that changes `a`, deletes `c` and touches a file outside any group.
    func repo() async throws -> (dir: String, base: String, head: String) {
        let dir = try await TestSupport.gitRepo([
            "code/apps/core/processors/a/Containerfile": "FROM scratch\n",
            "code/apps/core/processors/b/Containerfile": "FROM scratch\n",
            "code/apps/core/processors/c/Containerfile": "FROM scratch\n",
            "code/apps/core/processors/README.md": "processors\n",
            "docs/index.md": "docs\n",
        ])
        let base = try await TestSupport.run(["git", "rev-parse", "HEAD"], cwd: dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try FileManager.default.removeItem(atPath: "\(dir)/code/apps/core/processors/c")
        let head = try await TestSupport.commit(dir, ["code/apps/core/processors/a/app.py": "print(1)\n", "docs/index.md": "docs 2\n",
                                                      "code/apps/core/processors/README.md": "changed\n"])
        return (dir, base, head)
    }

    @Test("only the changed directories are listed; deleted ones apart; a file directly in the pattern's parent marks nothing")
    func changedOnly() async throws {
        let (dir, base, head) = try await repo()
        let o = try await PluginCall(plugin: "detect-changes", with: ["groups": Self.groups, "base": .string(base), "head": .string(head)],
                                     workspace: dir).send()
        #expect(o.error == nil, "\(o.transcript)")
        #expect(o.outputs["processors"] == [["name": "a", "path": "code/apps/core/processors/a"]])
        #expect(o.outputs["processors_deleted"] == [["name": "c", "path": "code/apps/core/processors/c"]])
        #expect(o.outputs["registry"] == [])
        #expect(o.outputs["registry_deleted"] == [])
        let files = Set(o.outputs["files"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        #expect(files == ["code/apps/core/processors/a/app.py", "code/apps/core/processors/c/Containerfile", "docs/index.md",
                          "code/apps/core/processors/README.md"])
    }

    @Test("base and head default to the run's base and sha; the workspace may be a subfolder of the repository")
    func defaultsFromRun() async throws {
        let (dir, base, head) = try await repo()
        var call = PluginCall(plugin: "detect-changes", with: ["groups": Self.groups], workspace: "\(dir)/docs")
        call.run.base = base
        call.run.sha = head
        let o = try await call.send()
        #expect(o.outputs["processors"]?.arrayValue?.count == 1, "\(o.transcript)")
    }

    @Test("a new branch (base empty or all zeros) counts every matching directory as changed", arguments: ["", "0000000000000000000000000000000000000000"])
    func newBranch(base: String) async throws {
        let (dir, _, head) = try await repo()
        let o = try await PluginCall(plugin: "detect-changes", with: ["groups": Self.groups, "base": .string(base), "head": .string(head)],
                                     workspace: dir).send()
        #expect(o.outputs["processors"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["a", "b"], "\(o.transcript)")
        #expect(o.outputs["processors_deleted"] == [])
        #expect(o.outputs["files"]?.arrayValue?.count == 5, "every file at head counts as changed: \(o.outputs["files"] ?? .null)")
    }

    @Test("a base git does not know (a shallow clone) fails with a hint to fetch the full history")
    func unknownBase() async throws {
        let (dir, _, _) = try await repo()
        let o = try await PluginCall(plugin: "detect-changes", with: ["groups": Self.groups, "base": "1234567890abcdef1234567890abcdef12345678"],
                                     workspace: dir).send()
        #expect(o.error?.code == .stepFailed)
        #expect(o.error?.hint?.contains("fetch-depth: 0") == true, "\(o.transcript)")
    }

    @Test("a shallow clone of the real thing: the base is missing, and the error says so")
    func shallowClone() async throws {
        let (dir, base, _) = try await repo()
        let clone = TestSupport.tempDir("shallow")
        let r = try await TestSupport.run(["git", "clone", "-q", "--depth", "1", "file://\(dir)", clone], cwd: "/tmp")
        #expect(r.code == 0, "\(r.stderr)")
        let o = try await PluginCall(plugin: "detect-changes", with: ["groups": Self.groups, "base": .string(base)], workspace: clone).send()
        #expect(o.error?.message.contains("shallow") == true, "\(o.transcript)")
    }

    @Test("patterns with ** or an absolute path are refused as invalid params", arguments: ["code/**", "/code/*", ""])
    func badPattern(pattern: String) async throws {
        let (dir, base, head) = try await repo()
        let o = try await PluginCall(plugin: "detect-changes", with: ["groups": ["p": .string(pattern)], "base": .string(base), "head": .string(head)],
                                     workspace: dir).send()
        #expect(o.error?.code == .invalidParams, "\(o.transcript)")
    }
}

/// The paths: trigger and detect-changes agree on what changed: merge base for a pull request, two dots for a push,
/// every path read as git stores it.
@Suite("Changed files: one rule for triggers and detect-changes", .timeLimit(.minutes(2)))
struct ChangedFilesRuleTests {
    static let manifest = """
    workflows:
      images:
        on:
          pull_request: {paths: ["processors/**"]}
          push: {paths: ["processors/**"]}
        steps:
          - {id: changes, uses: detect-changes, with: {groups: {processors: "processors/*"}}}
          - {id: say, uses: exec, with: {run: 'echo "${{ toJSON(steps.changes.outputs.processors) }}"'}}
      only-y:
        on:
          pull_request: {paths: ["processors/y/**"]}
        steps:
          - {id: y, uses: exec, with: {run: 'true'}}
      docs:
        on:
          push: {paths: ["docs/**"]}
        steps:
          - {id: changes, uses: detect-changes, with: {groups: {docs: "docs/*"}}}
    """

    /// main: x and y; a feature branch changes x; then main moves on and changes y.
    func repo() async throws -> (dir: String, main: String, feature: String) {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": Self.manifest, "processors/x/app.py": "1\n", "processors/y/app.py": "1\n"])
        _ = try await TestSupport.git(dir, ["checkout", "-q", "-b", "feature"])
        let feature = try await TestSupport.commit(dir, ["processors/x/app.py": "2\n"], message: "x on the branch")
        _ = try await TestSupport.git(dir, ["checkout", "-q", "main"])
        let main = try await TestSupport.commit(dir, ["processors/y/app.py": "2\n"], message: "y on main")
        _ = try await TestSupport.git(dir, ["checkout", "-q", "feature"])
        return (dir, main, feature)
    }

    @Test("a pull request whose target branch moved on lists only its own changes, in the trigger and in detect-changes")
    func pullRequestFromMergeBase() async throws {
        let (dir, main, feature) = try await repo()
        let r = try await TestSupport.stephost(["run", "--event", "pull_request", "--base", main, "--head", feature, "--json"], cwd: dir)
        #expect(r.code == 0, "\(r.stderr)")
        let s = try r.summary()
        #expect(s["workflows"] == ["images"], "only-y must not fire for y's change on main: \(s)")
        #expect(s.stepsByID["changes"]?["outputs"]?["processors"] == [["name": "x", "path": "processors/x"]])
        #expect(s.stepsByID["changes"]?["outputs"]?["files"] == ["processors/x/app.py"])
    }

    @Test("a push compares base..head: both changes count")
    func pushIsTwoDot() async throws {
        let (dir, main, feature) = try await repo()
        let r = try await TestSupport.stephost(["run", "--event", "push", "--base", main, "--head", feature, "--json"], cwd: dir)
        #expect(r.code == 0, "\(r.stderr)")
        let s = try r.summary()
        #expect(s.stepsByID["changes"]?["outputs"]?["processors"] == [["name": "x", "path": "processors/x"], ["name": "y", "path": "processors/y"]])
    }

    @Test("a path with non-ASCII characters fires its trigger and is listed as git stores it")
    func nonASCIIPaths() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": Self.manifest, "README.md": "r\n"])
        let base = try await TestSupport.git(dir, ["rev-parse", "HEAD"])
        let head = try await TestSupport.commit(dir, ["docs/café/menü.md": "bonjour\n"])
        let r = try await TestSupport.stephost(["run", "--event", "push", "--base", base, "--head", head, "--json"], cwd: dir)
        #expect(r.code == 0, "\(r.stderr)")
        let s = try r.summary()
        #expect(s["workflows"] == ["docs"], "\(s)")
        #expect(s.stepsByID["changes"]?["outputs"]?["docs"] == [["name": "café", "path": "docs/café"]])
        #expect(s.stepsByID["changes"]?["outputs"]?["files"] == ["docs/café/menü.md"])
    }

    @Test("merge-base: false on a pull request compares two dots, as for a push")
    func mergeBaseInput() async throws {
        let (dir, main, feature) = try await repo()
        var call = PluginCall(plugin: "detect-changes", with: ["groups": ["processors": "processors/*"], "base": .string(main),
                                                               "head": .string(feature), "merge-base": false], workspace: dir)
        call.run.event = "pull_request"
        let o = try await call.send()
        #expect(o.outputs["processors"]?.arrayValue?.count == 2, "\(o.transcript)")
    }
}

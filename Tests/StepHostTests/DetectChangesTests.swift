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

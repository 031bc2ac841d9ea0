import Foundation
import PluginKit
import StepProtocol
import StepChanges

enum DetectChangesStep {
    static let description = StepDescription(
        name: "detect-changes",
        description: "Map the files changed between two commits onto directory patterns",
        inputs: [
            "type": "object", "additionalProperties": false, "required": ["groups"],
            "properties": [
                "groups": ["type": "object", "minProperties": 1, "additionalProperties": ["type": "string"],
                           "description": "group name -> directory pattern, e.g. code/apps/core/processors/*"],
                "base": ["type": "string", "description": "the commit to compare with (default run.base; empty or zeros: everything)"],
                "head": ["type": "string", "description": "the commit to compare (default run.sha, else HEAD)"],
                "merge-base": ["type": "boolean",
                               "description": "count changes from the merge base of base and head (default: true when run.event is pull_request)"],
                "git": ["type": "string", "description": "the git executable (default: git in PATH)"],
            ],
        ],
        outputs: ["<group>": "changed directories [{name, path}] sorted by path", "<group>_deleted": "directories gone at head",
                  "files": "every changed path"])

    @Sendable static func run(_ step: StepContext) async throws -> StepRunResult {
        var groups: [(name: String, glob: Glob, depth: Int)] = []
        for (name, value) in (step.with["groups"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            let pattern = value.stringValue ?? ""
            let segments = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
            if segments.isEmpty || segments.contains("**") || pattern.hasPrefix("/") {
                throw ResponseError.invalidInput("with.groups.\(name)",
                                                 "'\(pattern)' is not a directory pattern: give a path relative to the repository, with * for one directory level and no **")
            }
            if name == "files" || name.hasSuffix("_deleted") {
                throw ResponseError.invalidInput("with.groups.\(name)", "the group name clashes with an output ('files', '<group>_deleted'): choose another")
            }
            groups.append((name, Glob(segments.joined(separator: "/")), segments.count))
        }
        let git = Git(step: step, directory: step.request.workspace, executable: step.with["git"]?.stringValue ?? "git")
        let root = try await git.topLevel()
        let repo = Git(step: step, directory: root, executable: git.executable)

        let headRev = step.with["head"]?.stringValue ?? (step.request.run.sha.isEmpty ? "HEAD" : step.request.run.sha)
        guard let head = try await repo.commit(headRev) else {
            throw ResponseError.stepFailed("head '\(headRev)' is not a commit in \(root)", hint: "check the head input, or fetch that commit")
        }
        let baseRev = (step.with["base"]?.stringValue ?? step.request.run.base).trimmingCharacters(in: .whitespaces)
        let everything = ChangedFiles.isNewBranch(baseRev)
        let comparison: ChangedFiles.Comparison = step.with["merge-base"]?.boolValue.map { $0 ? .mergeBase : .twoDot }
            ?? .forEvent(step.request.run.event)

        // Every directory at head, to tell changed from deleted and to list all of them for a new branch.
        let dirsAtHead = Set(try await repo.run(["ls-tree", "-r", "-d", "-z", "--name-only", head]).split(separator: "\0").map(String.init))
        var base = baseRev
        if everything {
            step.log("base is \(baseRev.isEmpty ? "empty" : "all zeros") (a new branch): every matching directory counts as changed")
        } else {
            guard let commit = try await repo.commit(baseRev) else {
                throw ResponseError.stepFailed(
                    "base '\(baseRev)' is not a commit this clone knows (a shallow clone?)",
                    hint: "fetch the full history: actions/checkout with fetch-depth: 0, or git fetch --unshallow")
            }
            base = commit
        }
        let changes = try await ChangedFiles.between(base: base, head: head, comparison: comparison) { args in
            try await repo.run(args, hint: "a pull request's changes are counted from the merge base of base and head, which needs their history: actions/checkout with fetch-depth: 0")
        }
        let files = changes.paths
        if let from = changes.from {
            step.log("\(files.count) file(s) changed between \(from.prefix(12))\(from == base ? "" : " (merge base of \(base.prefix(12)))") and \(head.prefix(12))")
        }

        var outputs: [String: JSONValue] = ["files": .array(files.map(JSONValue.string))]
        var summary: [String] = []
        for g in groups {
            var changed = Set<String>(), deleted = Set<String>()
            if everything {
                changed = dirsAtHead.filter { g.glob.matches($0) }
            } else {
                for f in files {
                    let parts = f.split(separator: "/")
                    // The file must be under the directory, not the directory's name itself.
                    guard parts.count > g.depth else { continue }
                    let dir = parts.prefix(g.depth).joined(separator: "/")
                    guard g.glob.matches(dir) else { continue }
                    if dirsAtHead.contains(dir) { changed.insert(dir) } else { deleted.insert(dir) }
                }
            }
            outputs[g.name] = list(changed)
            outputs["\(g.name)_deleted"] = list(deleted)
            summary.append("\(g.name): \(changed.count) changed" + (deleted.isEmpty ? "" : ", \(deleted.count) deleted"))
        }
        return StepRunResult(outputs: outputs, summary: summary.joined(separator: "; "), changed: false)
    }

    static func list(_ dirs: Set<String>) -> JSONValue {
        .array(dirs.sorted().map { d in ["name": .string(String(d.split(separator: "/").last ?? "")), "path": .string(d)] })
    }
}

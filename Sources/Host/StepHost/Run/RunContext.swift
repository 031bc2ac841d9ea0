import StepProcess
import Foundation
import StepProtocol
import StepChanges

/// What started a run: the event, branch, commits and labels, with defaults
/// from GitHub Actions, and the paths that changed.
public struct RunContext: Sendable {
    public var event: String
    public var branch: String
    public var sha: String
    public var base: String
    public var labels: [String]
    public var inGit: Bool
    /// Changed paths; nil means "everything changed" (no base, a new branch, or no git).
    public var changedPaths: [String]?

    public struct Options: Sendable {
        public var event: String?
        public var branch: String?
        public var base: String?
        public var head: String?
        public var labels: [String]
        public init(event: String? = nil, branch: String? = nil, base: String? = nil, head: String? = nil, labels: [String] = []) {
            self.event = event; self.branch = branch; self.base = base; self.head = head; self.labels = labels
        }
    }


    /// Resolves the options against git and, inside GitHub Actions, the `GITHUB_*` variables and event payload.
    public static func resolve(_ o: Options, workspace: String, environment env: [String: String]) async throws(RunError) -> RunContext {
        var o = o
        if env["GITHUB_ACTIONS"] == "true" { applyGitHubDefaults(&o, env) }
        let inGit = (try? await Command.run(["git", "rev-parse", "--is-inside-work-tree"], cwd: workspace))?.succeeded ?? false
        var ctx = RunContext(event: o.event ?? "manual", branch: o.branch ?? "", sha: "", base: "", labels: o.labels, inGit: inGit, changedPaths: nil)
        guard ["push", "pull_request", "manual"].contains(ctx.event) else {
            throw .usage("unknown event '\(ctx.event)' (known: push, pull_request, manual)")
        }
        guard inGit else {
            ctx.sha = o.head ?? ""
            ctx.base = o.base ?? ""
            return ctx
        }
        if o.branch == nil, let b = try? await Command.run(["git", "rev-parse", "--abbrev-ref", "HEAD"], cwd: workspace), b.succeeded {
            let name = b.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            ctx.branch = name == "HEAD" ? "" : name
        }
        ctx.sha = try await revParse(o.head ?? "HEAD", "--head", workspace, optional: o.head == nil)
        if let base = o.base, !base.isEmpty {
            ctx.base = ChangedFiles.isNewBranch(base) ? base : try await revParse(base, "--base", workspace, optional: false)
        }
        if !ChangedFiles.isNewBranch(ctx.base) && !ctx.sha.isEmpty {
            let comparison = ChangedFiles.Comparison.forEvent(ctx.event)
            do {
                ctx.changedPaths = try await ChangedFiles.between(base: ctx.base, head: ctx.sha, comparison: comparison) { args in
                    let out = try await Command.run(["git"] + args, cwd: workspace)
                    guard out.succeeded else { throw RunError.git("git \(args.joined(separator: " ")) failed: \(out.stderr.trimmingCharacters(in: .whitespacesAndNewlines))") }
                    return out.stdout
                }.paths
            } catch let e as RunError {
                throw comparison == .mergeBase
                    ? .git("\(e.description); a pull request's changes are counted from the merge base of --base and --head, which needs their history (actions/checkout with fetch-depth: 0)")
                    : e
            } catch {
                throw .git("git failed: \(error)")
            }
        }
        return ctx
    }

    static func revParse(_ rev: String, _ option: String, _ cwd: String, optional: Bool) async throws(RunError) -> String {
        let out = try? await Command.run(["git", "rev-parse", "--verify", "--quiet", "\(rev)^{commit}"], cwd: cwd)
        if let out, out.succeeded { return out.stdout.trimmingCharacters(in: .whitespacesAndNewlines) }
        if optional { return "" }  // a repository without commits
        throw .git("\(option) \(rev): git does not know this revision (in a shallow clone, fetch more history: git fetch --unshallow)")
    }

    static func applyGitHubDefaults(_ o: inout Options, _ env: [String: String]) {
        var payload: JSONValue = .null
        if let p = env["GITHUB_EVENT_PATH"], let data = FileManager.default.contents(atPath: p), let v = try? JSONParser.parse(Array(data)) {
            payload = v
        }
        let name = env["GITHUB_EVENT_NAME"] ?? ""
        let event = name == "push" ? "push" : (name == "pull_request" || name == "pull_request_target") ? "pull_request" : "manual"
        if o.event == nil { o.event = event }
        if event == "pull_request" {
            if o.branch == nil { o.branch = env["GITHUB_BASE_REF"] }
            if o.head == nil { o.head = payload["pull_request"]?["head"]?["sha"]?.stringValue }
            if o.base == nil { o.base = payload["pull_request"]?["base"]?["sha"]?.stringValue }
            if o.labels.isEmpty { o.labels = payload["pull_request"]?["labels"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [] }
        } else {
            if o.branch == nil { o.branch = env["GITHUB_REF_NAME"] }
            if o.head == nil { o.head = env["GITHUB_SHA"] }
            if o.base == nil, event == "push" { o.base = payload["before"]?.stringValue }
        }
    }

    /// Whether any trigger of the workflow matches; nil when it does, else why not.
    public func mismatch(_ wf: WorkflowSpec) -> String? {
        if wf.triggers.isEmpty { return "it has no 'on:' (run it by name)" }
        var reasons: [String] = []
        for t in wf.triggers {
            if t.event != event { reasons.append("not a \(t.event) event"); continue }
            if let b = t.branches, !b.contains(where: { Glob($0).matches(branch) }) {
                reasons.append("branch '\(branch)' is not in \(b)"); continue
            }
            if let p = t.paths, let changed = changedPaths,
               !changed.contains(where: { path in p.contains { Glob($0).matches(path) } }) {
                reasons.append("no changed path matches \(p)"); continue
            }
            if let l = t.labels, !l.contains(where: labels.contains) {
                reasons.append("the pull request has none of the labels \(l)"); continue
            }
            return nil
        }
        return reasons.joined(separator: "; ")
    }
}

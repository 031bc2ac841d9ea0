import Foundation
import StepChanges
import StepManifest
import StepProcess
import StepProtocol

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
    /// False when the code may come from someone without write access (a fork's pull request,
    /// `pull_request_target`): no secret is resolved, no plugin from the workspace runs.
    public var trusted = true
    /// Why the run is untrusted, naming the CI's event (`pull_request_target`, a fork's pull request).
    public var untrustedBecause: String?

    /// The events that map to triggers; any other CI event is its own name and matches none.
    public static let triggerEvents: Set<String> = ["push", "pull_request", "manual"]

    public struct Options: Sendable {
        public var event: String?
        public var branch: String?
        public var base: String?
        public var head: String?
        public var labels: [String]
        /// Set from the CI's own variables, not from `--event`.
        var ciEvent = false
        var untrustedBecause: String?
        public init(event: String? = nil, branch: String? = nil, base: String? = nil, head: String? = nil, labels: [String] = []) {
            self.event = event; self.branch = branch; self.base = base; self.head = head; self.labels = labels
        }
    }


    /// Resolves the options against git and, inside GitHub Actions, the `GITHUB_*` variables and event payload.
    public static func resolve(_ o: Options, workspace: String, environment env: [String: String]) async throws(RunError) -> RunContext {
        var o = o
        if env["GITHUB_ACTIONS"] == "true" { applyGitHubDefaults(&o, env) }
        else if env["BUILDKITE"] == "true" { applyBuildkiteDefaults(&o, env) }
        else if env["GITLAB_CI"] == "true" { applyGitLabDefaults(&o, env) }
        let inGit = (try? await Command.run(["git", "rev-parse", "--is-inside-work-tree"], cwd: workspace))?.succeeded ?? false
        var ctx = RunContext(event: o.event ?? "manual", branch: o.branch ?? "", sha: "", base: "", labels: o.labels, inGit: inGit, changedPaths: nil)
        ctx.untrustedBecause = o.untrustedBecause
        ctx.trusted = o.untrustedBecause == nil
        // A CI event with no trigger of its own (issue_comment, workflow_run, schedule, …) stays its name and matches nothing.
        guard triggerEvents.contains(ctx.event) || (o.ciEvent && ctx.event == o.event) else {
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
        let event: String
        switch name {
        case "push": event = "push"
        case "pull_request", "pull_request_target": event = "pull_request"
        case "workflow_dispatch", "": event = "manual"
        default: event = name
        }
        if o.event == nil { o.event = event; o.ciEvent = true }
        if name == "pull_request_target" {
            o.untrustedBecause = "pull_request_target (runs with the base's permissions but may check out the pull request's code)"
        } else if name == "pull_request", let head = payload["pull_request"]?["head"]?["repo"]?["full_name"]?.stringValue,
                  let base = payload["pull_request"]?["base"]?["repo"]?["full_name"]?.stringValue, head.lowercased() != base.lowercased() {
            o.untrustedBecause = "pull_request from the fork \(head)"
        }
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

    /// Buildkite: `BUILDKITE_SOURCE` ui/api/trigger_job are manual; a webhook is a push, or a pull request when
    /// `BUILDKITE_PULL_REQUEST` names one; a pull request from another repository is untrusted.
    static func applyBuildkiteDefaults(_ o: inout Options, _ env: [String: String]) {
        let pr = env["BUILDKITE_PULL_REQUEST"].flatMap { $0 == "false" || $0.isEmpty ? nil : $0 }
        let source = env["BUILDKITE_SOURCE"] ?? ""
        let event = ["ui", "api", "trigger_job", ""].contains(source) ? "manual" : source == "webhook" ? (pr == nil ? "push" : "pull_request") : source
        if o.event == nil { o.event = event; o.ciEvent = true }
        if pr != nil, let from = env["BUILDKITE_PULL_REQUEST_REPO"], !from.isEmpty, let repo = env["BUILDKITE_REPO"],
           sameRepository(from, repo) == false {
            o.untrustedBecause = "a pull request from \(from), another repository than \(repo)"
        }
        if o.branch == nil { o.branch = pr != nil ? env["BUILDKITE_PULL_REQUEST_BASE_BRANCH"] : env["BUILDKITE_BRANCH"] }
    }

    /// GitLab CI: `CI_PIPELINE_SOURCE` push, merge_request_event (a pull request), web and api (manual), else its own name.
    static func applyGitLabDefaults(_ o: inout Options, _ env: [String: String]) {
        let source = env["CI_PIPELINE_SOURCE"] ?? ""
        let event: String
        switch source {
        case "push": event = "push"
        case "merge_request_event": event = "pull_request"
        case "web", "api", "": event = "manual"
        default: event = source
        }
        if o.event == nil { o.event = event; o.ciEvent = true }
        if let from = env["CI_MERGE_REQUEST_SOURCE_PROJECT_ID"], let to = env["CI_MERGE_REQUEST_PROJECT_ID"], !from.isEmpty, from != to {
            o.untrustedBecause = "a merge request from project \(from) into project \(to)"
        }
        if o.branch == nil { o.branch = event == "pull_request" ? env["CI_MERGE_REQUEST_TARGET_BRANCH_NAME"] : env["CI_COMMIT_BRANCH"] }
        if o.head == nil { o.head = env["CI_COMMIT_SHA"].flatMap { $0.isEmpty ? nil : $0 } }
        if o.base == nil { o.base = (event == "pull_request" ? env["CI_MERGE_REQUEST_DIFF_BASE_SHA"] : event == "push" ? env["CI_COMMIT_BEFORE_SHA"] : nil).flatMap { $0.isEmpty ? nil : $0 } }
    }

    /// Whether two repository addresses name the same repository, read as host and path
    /// (`git@host:org/repo.git` and `https://host/org/repo` are one).
    static func sameRepository(_ a: String, _ b: String) -> Bool {
        func key(_ s: String) -> String {
            var t = s.lowercased().trimmingCharacters(in: .whitespaces)
            if let r = t.range(of: "://") { t = String(t[r.upperBound...]) }
            if let at = t.firstIndex(of: "@"), !t[..<at].contains("/") { t = String(t[t.index(after: at)...]) }
            if let colon = t.firstIndex(of: ":"), !t[..<colon].contains("/") {
                let after = t[t.index(after: colon)...]
                // host:port/path keeps the host; host:org/repo (scp form) is host/org/repo.
                t = String(t[..<colon]) + "/" + (after.prefix { $0.isNumber }.isEmpty ? after : after.drop { $0.isNumber }.drop { $0 == "/" })
            }
            if t.hasSuffix(".git") { t = String(t.dropLast(4)) }
            while t.hasSuffix("/") { t = String(t.dropLast()) }
            return t
        }
        return key(a) == key(b)
    }

    /// Whether any trigger of the workflow matches; nil when it does, else why not.
    public func mismatch(_ wf: WorkflowSpec) -> String? {
        if wf.triggers.isEmpty { return "it has no 'on:' (run it by name)" }
        if !RunContext.triggerEvents.contains(event) { return "the CI event '\(event)' maps to no trigger (push, pull_request, manual)" }
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

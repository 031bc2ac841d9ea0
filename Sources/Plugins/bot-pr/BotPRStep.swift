import Foundation
import PluginKit
import StepProtocol

enum BotPRStep {
    static let defaultAuthor = "stephost-bot <stephost-bot@users.noreply.github.com>"

    static let description = StepDescription(
        name: "bot-pr",
        description: "Commit the given files on a branch (without touching the checkout) and open or update its pull request",
        inputs: [
            "type": "object", "additionalProperties": false, "required": ["files", "title"],
            "properties": [
                "files": ["type": "array", "items": ["type": "string"], "minItems": 1,
                          "description": "paths to commit; a folder stands for the changed files under it"],
                "branch": ["type": "string", "description": "default stephost/<workflow>-<step id>"],
                "base": ["type": "string", "description": "the branch the PR targets (default run.branch)"],
                "title": ["type": "string", "minLength": 1],
                "body": ["type": "string"],
                "labels": ["type": "array", "items": ["type": "string"]],
                "remote": ["type": "string", "description": "default origin"],
                "repository": ["type": "string", "description": "owner/name (default: from the remote's URL)"],
                "api-url": ["type": "string", "description": "default $GITHUB_API_URL, else https://api.github.com"],
                "author": ["type": "string", "description": .string("Name <email> of the commit (default \(defaultAuthor))")],
                "git": ["type": "string", "description": "the git executable (default: git in PATH)"],
            ],
        ],
        outputs: ["changed": "whether a commit was pushed or a PR opened", "branch": "the PR's branch", "commit": "the branch's commit",
                  "number": "the PR's number", "url": "the PR's web address"])

    @Sendable static func run(_ step: StepContext) async throws -> StepRunResult {
        let w = step.with
        let git0 = Git(step: step, directory: step.request.workspace, executable: w["git"]?.stringValue ?? "git")
        let root = try await git0.topLevel()
        var git = Git(step: step, directory: root, executable: git0.executable)
        let remote = w["remote"]?.stringValue ?? "origin"
        let branch = w["branch"]?.stringValue ?? defaultBranch(workflow: step.request.run.workflow, step: step.request.step.id)
        guard try await git.attempt(["check-ref-format", "--branch", branch]).succeeded else {
            throw invalid("branch", "'\(branch)' is not a valid branch name")
        }
        var baseBranch = w["base"]?.stringValue ?? step.request.run.branch
        if baseBranch.isEmpty {
            baseBranch = try await git.run(["symbolic-ref", "--quiet", "--short", "HEAD"], hint: "give base: the checkout is on no branch")
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard baseBranch != branch else { throw invalid("branch", "the PR branch '\(branch)' is its own base") }
        // The URL as configured (not `remote get-url`, which applies url.*.insteadOf rewrites).
        let remoteURL = try await git.run(["config", "--get", "remote.\(remote).url"], hint: "give remote: the name of a configured git remote")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        // owner/name: given, else from the remote's URL, else GitHub Actions' GITHUB_REPOSITORY, else a path remote's last two parts.
        let repository = w["repository"]?.stringValue ?? RemoteURL.repository(remoteURL, pathsToo: false)
            ?? ProcessInfo.processInfo.environment["GITHUB_REPOSITORY"] ?? RemoteURL.repository(remoteURL) ?? ""
        guard repository.split(separator: "/", omittingEmptySubsequences: false).count == 2, !repository.hasPrefix("/"), !repository.hasSuffix("/") else {
            throw invalid("repository", "cannot tell owner/name from the remote URL '\(remoteURL)' or GITHUB_REPOSITORY: give repository")
        }
        let author = try Author(w["author"]?.stringValue ?? defaultAuthor)
        let title = w["title"]?.stringValue ?? ""
        let body = w["body"]?.stringValue ?? ""
        let labels = w["labels"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let token = step.request.secrets["GITHUB_TOKEN"]

        // The token reaches git only for the push (and for a fetch the remote refused without it), as a header in
        // GIT_CONFIG_* variables of that one command.
        var remoteEnv: [String: String] = [:]
        if let token, !token.isEmpty {
            let auth = authConfig(token: token, remoteURL: remoteURL)
            step.mask(auth.header)
            remoteEnv = auth.env
        }

        // The base commit: the remote's branch as it is now (the local copy of it in a dry run).
        let baseCommit: String
        if step.isDryRun {
            var found = try await git.commit("refs/remotes/\(remote)/\(baseBranch)")
            if found == nil { found = try await git.commit(baseBranch) }
            guard let c = found else {
                throw ResponseError.stepFailed("base branch '\(baseBranch)' is not known locally", hint: "fetch it, or give base")
            }
            baseCommit = c
        } else {
            baseCommit = try await fetch(git, remote: remote, branch: baseBranch, env: remoteEnv,
                                         hint: "does branch '\(baseBranch)' exist on \(remote), and may GITHUB_TOKEN read it?")
        }

        // Stage the files onto the base tree in a temporary index: the checkout's own index, branch and files stay as they are.
        let indexFile = step.temporaryPath("bot-pr-index")
        defer { try? FileManager.default.removeItem(atPath: indexFile) }
        git.environment["GIT_INDEX_FILE"] = indexFile
        try await git.run(["read-tree", baseCommit])
        var paths: [String] = []
        for f in w["files"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            let rel = try relative(step.path(f), to: root, input: f)
            var known = FileManager.default.fileExists(atPath: "\(root)/\(rel)")
            if !known { known = !(try await git.run(["ls-tree", "--name-only", baseCommit, "--", rel])).isEmpty }
            guard known else { throw invalid("files", "'\(f)' exists neither in the workspace nor on \(baseBranch)") }
            paths.append(rel)
        }
        try await git.run(["add", "--all", "--"] + paths.map { ":(literal)\($0)" })
        let tree = try await git.run(["write-tree"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let baseTree = try await git.run(["rev-parse", "\(baseCommit)^{tree}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let changedFiles = try await git.run(["diff-tree", "-r", "--name-only", baseTree, tree]).split(separator: "\n").map(String.init)
        var outputs: [String: JSONValue] = ["changed": false, "branch": .string(branch), "commit": .null, "number": .null, "url": .null]
        if tree == baseTree && step.isDryRun {
            // Earlier steps (pin-digest) change nothing in a dry run: whether the files would differ is not known.
            return StepRunResult(outputs: outputs, summary: "would commit \(paths.joined(separator: ", ")) on \(branch) and open or update its PR on \(repository) to \(baseBranch) if they change; in a dry run the steps before change nothing, so what would differ is unknown",
                                 changed: false)
        }
        if tree == baseTree {
            return StepRunResult(outputs: outputs, summary: "nothing to commit: the files equal \(baseBranch)", changed: false)
        }
        step.log("\(changedFiles.count) file(s) differ from \(baseBranch): \(changedFiles.joined(separator: ", "))")
        if step.isDryRun {
            return StepRunResult(outputs: outputs, summary: "would commit \(changedFiles.count) file(s) on \(branch) and open or update its PR on \(repository) to \(baseBranch)",
                                 changed: false)
        }

        guard let token, !token.isEmpty else {
            throw ResponseError.stepFailed("GITHUB_TOKEN is not granted to this step: no pull request can be opened, so nothing is pushed",
                                           hint: "add secrets: [GITHUB_TOKEN] to the step")
        }

        // The branch as the remote has it: reuse its commit when it already holds this change on this base.
        let lsRemote = try await readRemote(git, ["ls-remote", remote, "refs/heads/\(branch)"], auth: remoteEnv, hint: nil)
        let remoteHead = lsRemote.split(separator: "\t").first.map(String.init)
        let commit: String, pushed: Bool
        if let remoteHead, try await holds(git, remote: remote, branch: branch, tree: tree, base: baseCommit, env: remoteEnv) {
            commit = remoteHead
            pushed = false
            step.log("\(remote) \(branch) already holds this change (\(commit.prefix(12)))")
        } else {
            let env = ["GIT_AUTHOR_NAME": author.name, "GIT_AUTHOR_EMAIL": author.email, "GIT_COMMITTER_NAME": author.name,
                       "GIT_COMMITTER_EMAIL": author.email]
            var args = ["commit-tree", tree, "-p", baseCommit, "-m", title]
            if !body.isEmpty { args += ["-m", body] }
            commit = try await git.run(args, env: env).trimmingCharacters(in: .whitespacesAndNewlines)
            try await git.run(["push", "--quiet", "--force-with-lease=refs/heads/\(branch):\(remoteHead ?? "")", remote, "\(commit):refs/heads/\(branch)"],
                              env: remoteEnv, hint: "the token needs contents: write; a lease failure means someone else pushed to \(branch) meanwhile (run again)")
            pushed = true
            step.log("pushed \(commit.prefix(12)) to \(remote) \(branch)")
        }
        outputs["commit"] = .string(commit)

        let apiBase = w["api-url"]?.stringValue ?? ProcessInfo.processInfo.environment["GITHUB_API_URL"] ?? "https://api.github.com"
        let api = GitHubAPI(base: apiBase, repository: repository, token: token)
        let owner = String(repository.split(separator: "/")[0])
        var created = false
        let pr: GitHubAPI.PullRequest
        if let open = try await api.openPullRequest(owner: owner, branch: branch) {
            if open.title != title || open.body != body { try await api.update(open.number, title: title, body: body) }
            pr = open
            step.log("pull request #\(open.number) \(pushed ? "updated" : "is up to date"): \(open.url)")
        } else {
            pr = try await api.create(title: title, body: body, head: branch, base: baseBranch)
            created = true
            step.log("opened pull request #\(pr.number): \(pr.url)")
        }
        if !labels.isEmpty && (created || pushed) { try await api.addLabels(pr.number, labels) }
        outputs["number"] = .int(pr.number)
        outputs["url"] = .string(pr.url)
        outputs["changed"] = .bool(pushed || created)
        let summary = created ? "opened #\(pr.number) (\(changedFiles.count) file(s) on \(branch))"
            : pushed ? "updated #\(pr.number) with \(commit.prefix(12))" : "#\(pr.number) already carries this change"
        return StepRunResult(outputs: outputs, summary: summary, changed: pushed || created)
    }

    /// `GIT_CONFIG_*` variables that give git an `http.extraheader` with the token (Basic, as
    /// `x-access-token`), after empty values that clear a header actions/checkout may have stored
    /// for the remote's host, so that only one Authorization header is sent.
    static func authConfig(token: String, remoteURL: String) -> (env: [String: String], header: String) {
        let header = "AUTHORIZATION: basic " + Data("x-access-token:\(token)".utf8).base64EncodedString()
        var keys = ["http.extraheader"]
        if let b = RemoteURL.httpBase(remoteURL) { keys.insert("http.\(b).extraheader", at: 0) }
        let pairs = keys.map { ($0, "") } + [("http.extraheader", header)]
        var env = ["GIT_CONFIG_COUNT": "\(pairs.count)"]
        for (k, p) in pairs.enumerated() { env["GIT_CONFIG_KEY_\(k)"] = p.0; env["GIT_CONFIG_VALUE_\(k)"] = p.1 }
        return (env, header)
    }

    /// Runs a git command that reads from the remote without the token, as the contract wants the token only for the
    /// push; if the remote refuses and a token was granted (a private repository whose checkout kept no credentials),
    /// runs it once more with the token's header.
    static func readRemote(_ git: Git, _ args: [String], auth: [String: String], hint: String?) async throws -> String {
        let first = try await git.attempt(args)
        if first.succeeded { return first.stdout }
        if !auth.isEmpty {
            git.step.log("git \(args[0]) without credentials failed; trying again with GITHUB_TOKEN")
            return try await git.run(args, env: auth, hint: hint)
        }
        throw Git.failure(args, first, hint: hint)
    }

    /// Whether the remote's branch is one commit holding `tree` on top of `base` (this change, pushed before).
    static func holds(_ git: Git, remote: String, branch: String, tree: String, base: String, env: [String: String]) async throws -> Bool {
        let head = try await fetch(git, remote: remote, branch: branch, env: env, hint: nil)
        return try await git.run(["log", "-1", "--format=%T %P", head]).trimmingCharacters(in: .whitespacesAndNewlines) == "\(tree) \(base)"
    }

    /// Fetches a branch of the remote and returns its commit. The fetch goes to a ref of its own,
    /// deleted afterwards, not FETCH_HEAD, which another step fetching in the same clone could overwrite.
    static func fetch(_ git: Git, remote: String, branch: String, env: [String: String], hint: String?) async throws -> String {
        let ref = "refs/stephost/fetch/\(UUID().uuidString)"
        _ = try await readRemote(git, ["fetch", "--no-tags", "--quiet", "--no-write-fetch-head", remote, "+refs/heads/\(branch):\(ref)"],
                                 auth: env, hint: hint)
        let commit = try await git.attempt(["rev-parse", "--verify", "\(ref)^{commit}"])
        _ = try? await git.attempt(["update-ref", "-d", ref])
        guard commit.succeeded else { throw ResponseError.stepFailed("git fetched \(remote) \(branch) but no commit arrived", hint: hint) }
        return commit.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `stephost/<workflow>-<step id>`, with characters git refuses in a branch name (`[`, `]` of an instance id, …) as `-`.
    static func defaultBranch(workflow: String, step: String) -> String {
        let raw = "\(workflow.isEmpty ? "run" : workflow)-\(step)"
        let safe = String(raw.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "-" })
        return "stephost/" + safe.trimmingCharacters(in: CharacterSet(charactersIn: "-."))
    }

    static func relative(_ path: String, to root: String, input: String) throws -> String {
        let std = (path as NSString).standardizingPath
        let r = root.hasSuffix("/") ? root : root + "/"
        if std == root { return "." }
        guard std.hasPrefix(r) else { throw invalid("files", "'\(input)' is outside the repository \(root)") }
        return String(std.dropFirst(r.count))
    }

    static func invalid(_ field: String, _ message: String) -> ResponseError { .invalidInput("with.\(field)", message) }

    /// `Name <email>`.
    struct Author {
        var name: String, email: String
        init(_ s: String) throws {
            guard let lt = s.firstIndex(of: "<"), let gt = s.lastIndex(of: ">"), lt < gt else {
                throw BotPRStep.invalid("author", "author '\(s)' is not 'Name <email>'")
            }
            name = s[..<lt].trimmingCharacters(in: .whitespaces)
            email = String(s[s.index(after: lt)..<gt])
            guard !name.isEmpty, !email.isEmpty else { throw BotPRStep.invalid("author", "author '\(s)' is not 'Name <email>'") }
        }
    }
}

import Foundation
import GitHub
import PluginKit
import StepProtocol

/// An alert that resolves itself: while a workflow fails in an environment there is exactly one
/// open issue titled `stephost: <workflow> failing on <environment or branch>`. The first failure
/// opens it, each later failure comments, and a success (`resolve: true`) comments and closes it.
/// Each message carries the run id in a hidden marker, so a step that is retried or run again in
/// the same run never opens a second issue or writes a second comment.
struct IssueAlert {
    let step: StepContext
    let message: AlertMessage
    let text: String
    let resolve: Bool

    var title: String { "stephost: \(message.run.workflow) failing on \(message.target)" }
    var marker: String { "<!-- stephost:run \(message.run.id) -->" }

    func send() async throws -> StepRunResult {
        let w = step.with
        if w["webhook"] != nil { throw ResponseError.invalidInput("with.webhook", "is for format: slack or generic; github-issue takes token") }
        let tokenName = w["token"]?.stringValue ?? "GITHUB_TOKEN"
        guard let token = step.request.secrets[tokenName] else {
            throw ResponseError(code: .invalidParams, message: "with.token: the step is not granted secret '\(tokenName)'",
                                data: ["errors": [["path": "with.token", "message": .string("the step is not granted secret '\(tokenName)'")]],
                                       "hint": .string("grant it: secrets: [\(tokenName)] on the step (in GitHub Actions: GITHUB_TOKEN: env:GITHUB_TOKEN, with permissions: issues: write)")])
        }
        if token.isEmpty {
            step.log("secret \(tokenName) is empty (an optional secret that is not set here): no issue opened, commented or closed", level: .warning)
            return StepRunResult(outputs: ["sent": false, "status": .int(0)], summary: "not configured: \(tokenName) is empty", changed: false)
        }
        let repository = w["repository"]?.stringValue ?? ProcessInfo.processInfo.environment["GITHUB_REPOSITORY"] ?? ""
        guard repository.split(separator: "/", omittingEmptySubsequences: false).count == 2, !repository.hasPrefix("/"), !repository.hasSuffix("/") else {
            throw ResponseError.invalidInput("with.repository", repository.isEmpty ? "is required outside GitHub Actions (owner/name)" : "'\(repository)' is not owner/name")
        }
        let labels = w["labels"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let s = step
        let api = GitHubClient(base: GitHubClient.apiURL(w["api-url"]?.stringValue), repository: repository, token: token,
                               userAgent: "stephost-notify") { s.log($0, level: .warning) }
        if resolve && !message.run.failures.isEmpty {
            step.log("not resolving: steps of this run failed (\(message.failures.map(\.step).joined(separator: ", ")))")
            return StepRunResult(outputs: ["sent": false, "status": .int(0)], summary: "not resolved: this run failed", changed: false)
        }
        let open = try await openIssue(api)
        if step.isDryRun {
            let what = resolve ? (open.map { "would close issue #\($0.number)" } ?? "no open issue to close")
                : (open.map { "would comment on issue #\($0.number)" } ?? "would open an issue \"\(title)\"")
            step.log("\(what) in \(repository)")
            var outputs: [String: JSONValue] = ["sent": false, "status": .int(0)]
            if let open { outputs["issue"] = .int(open.number); outputs["url"] = .string(open.url) }
            return StepRunResult(outputs: outputs, summary: what, changed: false)
        }
        guard let issue = open else {
            if resolve {
                step.log("no open issue \"\(title)\" in \(repository): nothing to resolve")
                return StepRunResult(outputs: ["sent": false, "status": .int(0)], summary: "nothing to resolve", changed: false)
            }
            var body: [String: JSONValue] = ["title": .string(title), "body": .string("\(text)\n\n\(marker)")]
            if !labels.isEmpty { body["labels"] = .array(labels.map(JSONValue.string)) }
            let made = try await api.call("POST", "./issues", .object(body))
            guard let n = made["number"]?.intValue else { throw ResponseError.stepFailed("GitHub answered the new issue without a number") }
            let url = made["html_url"]?.stringValue ?? ""
            step.log("opened issue #\(n) \"\(title)\" in \(repository)")
            return StepRunResult(outputs: ["sent": true, "status": 201, "issue": .int(n), "url": .string(url)], summary: "opened issue #\(n)")
        }
        let outputs: [String: JSONValue] = ["issue": .int(issue.number), "url": .string(issue.url)]
        if try await alreadySaid(api, issue) {
            step.log("issue #\(issue.number) already has this run's \(resolve ? "resolution" : "failure") (run \(message.run.id)); nothing more to say")
            if resolve { try await close(api, issue) }
            return StepRunResult(outputs: outputs.merging(["sent": false, "status": 200]) { $1 }, summary: "issue #\(issue.number) already updated", changed: false)
        }
        _ = try await api.call("POST", "./issues/\(issue.number)/comments", ["body": .string("\(text)\n\n\(marker)")])
        if resolve {
            try await close(api, issue)
            step.log("commented on and closed issue #\(issue.number) in \(repository)")
            return StepRunResult(outputs: outputs.merging(["sent": true, "status": 200]) { $1 }, summary: "closed issue #\(issue.number)")
        }
        step.log("commented on issue #\(issue.number) in \(repository): the workflow failed again")
        return StepRunResult(outputs: outputs.merging(["sent": true, "status": 201]) { $1 }, summary: "commented on issue #\(issue.number)")
    }

    struct Issue { var number: Int; var url: String; var body: String; var comments: Int }

    /// The open issue with this title (pull requests, which the list includes, are not issues).
    func openIssue(_ api: GitHubClient) async throws -> Issue? {
        let labels = (step.with["labels"]?.arrayValue?.compactMap(\.stringValue) ?? []).joined(separator: ",")
        let query = labels.isEmpty ? "" : "&labels=\(labels.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))) ?? labels)"
        for item in try await api.list("./issues?state=open\(query)") where item["pull_request"] == nil && item["title"]?.stringValue == title {
            guard let n = item["number"]?.intValue else { continue }
            return Issue(number: n, url: item["html_url"]?.stringValue ?? "", body: item["body"]?.stringValue ?? "", comments: item["comments"]?.intValue ?? 0)
        }
        return nil
    }

    /// Whether this run has already written to the issue (its body, or a comment).
    func alreadySaid(_ api: GitHubClient, _ issue: Issue) async throws -> Bool {
        if issue.body.contains(marker) { return true }
        guard issue.comments > 0 else { return false }
        return try await api.list("./issues/\(issue.number)/comments").contains { $0["body"]?.stringValue?.contains(marker) == true }
    }

    func close(_ api: GitHubClient, _ issue: Issue) async throws {
        _ = try await api.call("PATCH", "./issues/\(issue.number)", ["state": "closed", "state_reason": "completed"])
    }
}

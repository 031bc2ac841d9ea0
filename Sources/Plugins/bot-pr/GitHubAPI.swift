import Foundation
import GitHub
import PluginKit
import StepProtocol

/// The few GitHub REST calls bot-pr makes: find, open and update a pull request, add labels.
struct GitHubAPI {
    let client: GitHubClient

    init(base: String, repository: String, token: String) {
        client = GitHubClient(base: base, repository: repository, token: token, userAgent: "stephost-bot-pr")
    }

    struct PullRequest { var number: Int; var url: String; var title: String; var body: String }

    /// The open pull request whose head is `branch`, if any.
    func openPullRequest(owner: String, branch: String) async throws -> PullRequest? {
        let head = "\(owner):\(branch)".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))) ?? branch
        let r = try await client.call("GET", "./pulls?state=open&head=\(head)")
        return r.arrayValue?.first.flatMap(GitHubAPI.pullRequest)
    }

    func create(title: String, body: String, head: String, base: String) async throws -> PullRequest {
        let r = try await client.call("POST", "./pulls", ["title": .string(title), "body": .string(body), "head": .string(head), "base": .string(base)])
        guard let pr = GitHubAPI.pullRequest(r) else { throw ResponseError.stepFailed("GitHub answered the new pull request without a number") }
        return pr
    }

    func update(_ number: Int, title: String, body: String) async throws {
        _ = try await client.call("PATCH", "./pulls/\(number)", ["title": .string(title), "body": .string(body)])
    }

    func addLabels(_ number: Int, _ labels: [String]) async throws {
        _ = try await client.call("POST", "./issues/\(number)/labels", ["labels": .array(labels.map(JSONValue.string))])
    }

    static func pullRequest(_ j: JSONValue) -> PullRequest? {
        guard let n = j["number"]?.intValue else { return nil }
        return PullRequest(number: n, url: j["html_url"]?.stringValue ?? "", title: j["title"]?.stringValue ?? "", body: j["body"]?.stringValue ?? "")
    }
}

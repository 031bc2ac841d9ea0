import Foundation
import PluginKit
import StepHTTP
import StepProtocol

/// The few GitHub REST calls bot-pr makes: find, open and update a pull request, add labels.
struct GitHubAPI {
    let base: String
    let repository: String
    let token: String
    let http = HTTPClient(timeout: 60)

    struct PullRequest { var number: Int; var url: String; var title: String; var body: String }

    /// The open pull request whose head is `branch`, if any.
    func openPullRequest(owner: String, branch: String) async throws -> PullRequest? {
        let head = "\(owner):\(branch)".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))) ?? branch
        let r = try await call("GET", "/repos/\(repository)/pulls?state=open&head=\(head)")
        return r.arrayValue?.first.flatMap(GitHubAPI.pullRequest)
    }

    func create(title: String, body: String, head: String, base: String) async throws -> PullRequest {
        let r = try await call("POST", "/repos/\(repository)/pulls",
                               ["title": .string(title), "body": .string(body), "head": .string(head), "base": .string(base)])
        guard let pr = GitHubAPI.pullRequest(r) else { throw ResponseError.stepFailed("GitHub answered the new pull request without a number") }
        return pr
    }

    func update(_ number: Int, title: String, body: String) async throws {
        _ = try await call("PATCH", "/repos/\(repository)/pulls/\(number)", ["title": .string(title), "body": .string(body)])
    }

    func addLabels(_ number: Int, _ labels: [String]) async throws {
        _ = try await call("POST", "/repos/\(repository)/issues/\(number)/labels", ["labels": .array(labels.map(JSONValue.string))])
    }

    static func pullRequest(_ j: JSONValue) -> PullRequest? {
        guard let n = j["number"]?.intValue else { return nil }
        return PullRequest(number: n, url: j["html_url"]?.stringValue ?? "", title: j["title"]?.stringValue ?? "", body: j["body"]?.stringValue ?? "")
    }

    private func call(_ method: String, _ path: String, _ body: JSONValue? = nil) async throws -> JSONValue {
        guard let url = URL(string: base.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path) else {
            throw ResponseError.stepFailed("'\(base)\(path)' is not a URL", hint: "check api-url / GITHUB_API_URL")
        }
        var headers = ["Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "stephost-bot-pr",
                       "Authorization": "Bearer \(token)"]
        if body != nil { headers["Content-Type"] = "application/json" }
        let r: HTTPResponse
        do {
            r = try await http.send(method, url, headers: headers, body: body.map { Data($0.encoded().utf8) })
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw ResponseError.stepFailed("cannot reach \(url.host ?? base): \(error.localizedDescription)",
                                           hint: "check api-url (GITHUB_API_URL for GitHub Enterprise) and the network", retryable: true)
        }
        guard (200..<300).contains(r.status) else {
            let message = r.json?["message"]?.stringValue ?? String(r.text.prefix(300))
            let details = (r.json?["errors"]?.arrayValue ?? []).compactMap { $0["message"]?.stringValue ?? $0["code"]?.stringValue }
            throw ResponseError.stepFailed(
                "GitHub \(method) \(path.split(separator: "?").first ?? ""): HTTP \(r.status): \(([message] + details).joined(separator: "; "))",
                hint: GitHubAPI.hint(status: r.status, message: message), retryable: r.status == 429 || r.status >= 500)
        }
        return r.json ?? .null
    }

    static func hint(status: Int, message: String) -> String? {
        switch status {
        case 401: return "GITHUB_TOKEN was refused: grant a valid token to the step (secrets: [GITHUB_TOKEN])"
        case 403:
            if message.contains("not permitted to create or approve pull requests") {
                return "allow it in the repository's Settings → Actions → General → \"Allow GitHub Actions to create and approve pull requests\""
            }
            return "the token lacks permission: it needs contents: write and pull-requests: write (workflow permissions:)"
        case 404: return "the repository is not found or the token cannot see it: check repository (owner/name) and api-url"
        case 422: return "GitHub rejected the request: does the base branch exist, and was the branch pushed?"
        default: return nil
        }
    }
}

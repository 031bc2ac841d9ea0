import Foundation
import PluginKit
import StepHTTP
import StepProtocol

/// GitHub's REST API as the bundled plugins call it (bot-pr's pull requests, notify's issues): a
/// token, JSON in and out, 429 and 5xx retried honouring `Retry-After`, and failures that name the
/// call with a hint. The token is never part of a message.
public struct GitHubClient: Sendable {
    public let base: String
    public let repository: String
    let token: String
    let userAgent: String
    let http = HTTPClient(timeout: 60)
    /// Hears each retry (for the step's log).
    let onRetry: @Sendable (String) -> Void

    public init(base: String, repository: String, token: String, userAgent: String, onRetry: @escaping @Sendable (String) -> Void = { _ in }) {
        self.base = base; self.repository = repository; self.token = token; self.userAgent = userAgent; self.onRetry = onRetry
    }

    /// `api-url`, else `GITHUB_API_URL`, else https://api.github.com.
    public static func apiURL(_ given: String?) -> String {
        given ?? ProcessInfo.processInfo.environment["GITHUB_API_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://api.github.com"
    }

    /// Calls `path` (under `/repos/OWNER/NAME` when it starts with `./`) and returns the JSON answer.
    public func call(_ method: String, _ path: String, _ body: JSONValue? = nil) async throws -> JSONValue {
        let full = path.hasPrefix("./") ? "/repos/\(repository)\(path.dropFirst())" : path
        guard let url = URL(string: base.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + full) else {
            throw ResponseError.stepFailed("'\(base)\(full)' is not a URL", hint: "check api-url / GITHUB_API_URL")
        }
        var headers = ["Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28", "User-Agent": userAgent,
                       "Authorization": "Bearer \(token)"]
        if body != nil { headers["Content-Type"] = "application/json" }
        let r: HTTPResponse
        let call = "GitHub \(method) \(full.split(separator: "?").first ?? "")"
        do {
            r = try await http.sendRetrying(method, url, headers: headers, body: body.map { Data($0.encoded().utf8) }) { n, why, wait in
                onRetry("\(call): \(why) (try \(n) of 3); again in \(Int(wait.rounded())) s")
            }
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
                "\(call): HTTP \(r.status): \(([message] + details).joined(separator: "; "))",
                hint: GitHubClient.hint(status: r.status, message: message), retryable: r.status == 429 || r.status >= 500)
        }
        return r.json ?? .null
    }

    /// Every page of a list (`per_page=100`), up to `pages` pages.
    public func list(_ path: String, pages: Int = 10) async throws -> [JSONValue] {
        var all: [JSONValue] = []
        for page in 1...pages {
            let sep = path.contains("?") ? "&" : "?"
            let items = try await call("GET", "\(path)\(sep)per_page=100&page=\(page)").arrayValue ?? []
            all += items
            if items.count < 100 { break }
        }
        return all
    }

    public static func hint(status: Int, message: String) -> String? {
        switch status {
        case 401: return "the token was refused: grant the step a valid token (secrets: [GITHUB_TOKEN])"
        case 403:
            if message.contains("not permitted to create or approve pull requests") {
                return "allow it in the repository's Settings → Actions → General → \"Allow GitHub Actions to create and approve pull requests\""
            }
            return "the token lacks permission: bot-pr needs contents: write and pull-requests: write, notify needs issues: write (workflow permissions:)"
        case 404: return "the repository is not found or the token cannot see it: check repository (owner/name) and api-url"
        case 410: return "issues are disabled in this repository: enable them, or alert with format: slack"
        case 422: return "GitHub rejected the request: does the base branch exist, and was the branch pushed?"
        default: return nil
        }
    }
}

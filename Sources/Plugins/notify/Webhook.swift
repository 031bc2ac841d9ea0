import Foundation
import PluginKit
import StepHTTP
import StepProtocol

/// Posts JSON to a webhook whose URL is a secret: 429 and 5xx retried honouring `Retry-After`,
/// three tries in all; no message ever holds the URL.
struct Webhook {
    let step: StepContext
    let http = HTTPClient(timeout: 30)

    func post(_ body: JSONValue, to url: URL) async throws -> Int {
        let r: HTTPResponse
        do {
            r = try await http.sendRetrying("POST", url, headers: ["Content-Type": "application/json"], body: Data(body.encoded().utf8)) { n, why, wait in
                step.log("the webhook answered \(why) (try \(n) of 3); again in \(Int(wait.rounded())) s", level: .warning)
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            let reason = scrub((error as NSError).localizedDescription, url)
            throw ResponseError.stepFailed("cannot reach the webhook after 3 tries: \(reason)",
                                           hint: "check the webhook secret's URL and that the runner can reach its host", retryable: true)
        }
        guard (200..<300).contains(r.status) else {
            let answer = scrub(String(r.text.prefix(200)), url)
            throw ResponseError.stepFailed("the webhook answered HTTP \(r.status)\(r.status == 429 || r.status >= 500 ? " after 3 tries" : "")\(answer.isEmpty ? "" : ": \(answer)")",
                                           hint: Webhook.hint(r.status), retryable: r.status == 429 || r.status >= 500)
        }
        return r.status
    }

    /// An error text without the URL or its path (where a webhook's token lives).
    func scrub(_ s: String, _ url: URL) -> String {
        var out = s.replacingOccurrences(of: url.absoluteString, with: "<webhook>")
        if url.path.count > 1 { out = out.replacingOccurrences(of: url.path, with: "/…") }
        return out
    }

    static func hint(_ status: Int) -> String? {
        switch status {
        case 400: return "the service refused the message's shape: format: slack suits Slack, Mattermost, Rocket.Chat and Discord's /slack endpoint; format: generic posts plain JSON"
        case 401, 403, 404, 410: return "the webhook URL is wrong, revoked or deleted: make a new one and update the secret"
        case 429: return "the service is rate-limiting: fewer alerts (if: failure() on one step), or retry later"
        default: return status >= 500 ? "the chat service failed; retrying later may help" : nil
        }
    }
}

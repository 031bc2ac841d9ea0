import Foundation
import PluginKit
import StepProtocol

/// `notify`: one message to a chat webhook (`slack`, `generic`), or an alert as a GitHub issue
/// that resolves itself (`github-issue`). The webhook URL and the token are secrets the step is
/// granted; they never appear in a log line, an error or an output.
enum NotifyStep {
    static let description = StepDescription(
        name: "notify",
        description: "Tell people that a run failed (or recovered): a Slack-compatible webhook, a JSON webhook, or a GitHub issue that closes itself",
        inputs: [
            "type": "object", "additionalProperties": false,
            "properties": [
                "format": ["type": "string", "enum": ["slack", "generic", "github-issue"], "default": "slack",
                           "description": "slack: {text, blocks} (Mattermost, Rocket.Chat and Discord's /slack accept it); generic: the run as JSON; github-issue: one open issue per failing workflow and environment"],
                "webhook": ["type": "string", "description": "slack/generic: the name of a secret the step is granted, holding the webhook URL"],
                "title": ["type": "string", "description": "default: '<workflow> failed on <environment or branch>'"],
                "text": ["type": "string", "description": "default: the workflow, environment, branch, commit, each failed step with its error and hints, and a link to the CI run"],
                "mention": ["type": "string", "description": "put first in the message: <!here>, <@U123>, @oncall"],
                "repository": ["type": "string", "description": "github-issue: owner/name (default GITHUB_REPOSITORY)"],
                "token": ["type": "string", "description": "github-issue: the name of a granted secret holding a token with issues: write (default GITHUB_TOKEN)"],
                "labels": ["type": "array", "items": ["type": "string"], "description": "github-issue: labels of the issue it opens"],
                "api-url": ["type": "string", "description": "github-issue: default GITHUB_API_URL, else https://api.github.com"],
                "resolve": ["type": "boolean", "default": false,
                            "description": "a recovery: github-issue comments on and closes the open issue (nothing when there is none); slack/generic say it recovered"],
            ],
        ],
        outputs: ["sent": "whether a message was posted (or an issue opened, commented or closed)", "status": "the HTTP status of the last call",
                  "issue": "github-issue: the issue's number", "url": "github-issue: the issue's web address"])

    @Sendable static func run(_ step: StepContext) async throws -> StepRunResult {
        let w = step.with
        let format = w["format"]?.stringValue ?? "slack"
        let resolve = w["resolve"]?.boolValue ?? false
        let message = AlertMessage(run: step.request.run, environment: ProcessInfo.processInfo.environment, resolved: resolve)
        let title = w["title"]?.stringValue ?? message.defaultTitle
        var text = w["text"]?.stringValue ?? message.text
        if let mention = w["mention"]?.stringValue, !mention.isEmpty { text = "\(mention) \(text)" }
        switch format {
        case "github-issue":
            return try await IssueAlert(step: step, message: message, text: text, resolve: resolve).send()
        default:
            for key in ["repository", "token", "labels", "api-url"] where w[key] != nil {
                throw ResponseError.invalidInput("with.\(key)", "is for format: github-issue, not \(format)")
            }
            guard let url = try webhookURL(step) else {
                let name = w["webhook"]?.stringValue ?? ""
                step.log("secret \(name) is empty (an optional secret that is not set here): no message sent", level: .warning)
                return StepRunResult(outputs: ["sent": false, "status": .int(0)], summary: "not configured: \(name) is empty", changed: false)
            }
            let body: JSONValue = format == "generic" ? generic(message, title: title, text: text) : slack(message, title: title, text: text)
            if step.isDryRun {
                step.log("would post a \(format) message \"\(title)\" (\(text.count) characters) to the webhook in secret \(w["webhook"]?.stringValue ?? "")")
                return StepRunResult(outputs: ["sent": false, "status": .int(0)], summary: "would post \"\(title)\"", changed: false)
            }
            let status = try await Webhook(step: step).post(body, to: url)
            step.log("posted \"\(title)\" to the webhook (HTTP \(status))")
            return StepRunResult(outputs: ["sent": true, "status": .int(status)], summary: "posted \"\(title)\"")
        }
    }

    /// The URL held by the secret `webhook` names; nil when that secret is granted but empty (optional, `env:VAR?`).
    static func webhookURL(_ step: StepContext) throws -> URL? {
        guard let name = step.with["webhook"]?.stringValue, !name.isEmpty else {
            throw ResponseError.invalidInput("with.webhook", "is required for format \(step.with["format"]?.stringValue ?? "slack"): the name of a secret holding the webhook URL")
        }
        guard let value = step.request.secrets[name] else {
            throw ResponseError(code: .invalidParams, message: "with.webhook: the step is not granted secret '\(name)'",
                                data: ["errors": [["path": "with.webhook", "message": .string("the step is not granted secret '\(name)'")]],
                                       "hint": .string("grant it: secrets: [\(name)] on the step, from the environment's secrets (e.g. \(name): env:\(name))")])
        }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return nil }
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http", url.host != nil else {
            throw ResponseError.invalidInput("with.webhook", "secret '\(name)' does not hold an http(s) URL")
        }
        return url
    }

    /// Slack's `{text, blocks}`: a header, the text, and the CI run's link; `text` is the notification's fallback.
    static func slack(_ m: AlertMessage, title: String, text: String) -> JSONValue {
        var blocks: [JSONValue] = [
            ["type": "header", "text": ["type": "plain_text", "text": .string(AlertMessage.oneLine(title, limit: 150)), "emoji": true]],
            ["type": "section", "text": ["type": "mrkdwn", "text": .string(String(escapeMrkdwn(text).prefix(2900)))]],
        ]
        if let link = m.link {
            blocks.append(["type": "context", "elements": [["type": "mrkdwn", "text": .string("<\(link)|Open the CI run>")]]])
        }
        return ["text": .string("\(escapeMrkdwn(title))\n\(escapeMrkdwn(text))"), "blocks": .array(blocks)]
    }

    /// `generic`: the run as JSON, for a receiver of your own.
    static func generic(_ m: AlertMessage, title: String, text: String) -> JSONValue {
        .compactObject(["title": .string(title), "text": .string(text), "status": .string(m.resolved ? "resolved" : m.run.failures.isEmpty ? "info" : "failure"),
                        "run": m.run.json, "url": m.link.map(JSONValue.string)])
    }

    /// Slack's mrkdwn control characters, except in a mention or link that is written `<...>` on purpose.
    static func escapeMrkdwn(_ s: String) -> String {
        var out = ""
        var rest = Substring(s)
        while let lt = rest.firstIndex(of: "<") {
            out += plain(rest[..<lt])
            if let gt = rest[lt...].firstIndex(of: ">"), rest[rest.index(after: lt)..<gt].first.map({ "!@#".contains($0) }) == true {
                out += rest[lt...gt]
                rest = rest[rest.index(after: gt)...]
            } else {
                out += "&lt;"
                rest = rest[rest.index(after: lt)...]
            }
        }
        return out + plain(rest)
    }

    private static func plain(_ s: Substring) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}

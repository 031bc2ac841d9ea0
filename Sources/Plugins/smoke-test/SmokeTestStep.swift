import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PluginKit
import StepHTTP
import StepProtocol

enum SmokeTestStep {
    static let description = StepDescription(
        name: "smoke-test",
        description: "Check that something works — a command or an HTTP request — with expectations and retries",
        inputs: [
            "type": "object", "additionalProperties": false,
            "properties": [
                "run": ["type": "string", "description": "command, run by /bin/sh -c in the workspace (granted secrets in its environment)"],
                "http": [
                    "type": "object", "additionalProperties": false, "required": ["url"],
                    "properties": [
                        "url": ["type": "string"],
                        "method": ["type": "string", "description": "default GET"],
                        "headers": ["type": "object", "additionalProperties": ["type": "string"]],
                        "body": ["type": ["string", "object", "array"], "description": "text, or JSON (sent as application/json)"],
                    ],
                ],
                "expect": [
                    "type": "object", "additionalProperties": false,
                    "properties": [
                        "exit-code": ["type": "integer", "description": "for run (default 0)"],
                        "status": ["type": "integer", "description": "for http (default 200)"],
                        "contains": ["type": "string", "description": "text the output or body must contain"],
                        "json": ["type": "object", "description": "dotted path (a.b.0.c) to the value the JSON body must hold there"],
                    ],
                ],
                "attempts": ["type": "integer", "description": "tries before failing (default 1)"],
                "interval": ["type": "string", "description": "wait between tries (default 5s)"],
                "timeout": ["type": "string", "description": "limit for one try (default 30s)"],
            ],
        ],
        outputs: ["attempts": "tries made", "exitCode": "the command's exit status (run)", "status": "the HTTP status (http)",
                  "body": "the output or body, first 64 KiB, masked"])

    /// What one try saw, and which expectations it missed.
    struct Attempt {
        var exitCode: Int?
        var status: Int?
        var body = ""
        var problems: [String] = []
    }

    @Sendable static func run(_ step: StepContext) async throws -> StepRunResult {
        let check = try Check(step.with)
        let attempts = step.with["attempts"]?.intValue ?? 1
        guard attempts >= 1 else { throw ResponseError.invalidInput("with.attempts", "must be at least 1") }
        let interval = try step.seconds("interval", default: 5)
        let timeout = try step.seconds("timeout", default: 30)
        if step.isDryRun {
            return StepRunResult(outputs: ["attempts": 0, check.isHTTP ? "status" : "exitCode": .null, "body": .null],
                                 summary: "would check \(check.what) (up to \(attempts) tries, \(Int(interval)) s apart), expecting \(check.expectations)", changed: false)
        }
        var last = Attempt()
        for n in 1...attempts {
            last = try await attempt(check, step, timeout: timeout)
            if last.problems.isEmpty {
                return StepRunResult(outputs: outputs(last, n, check, step), summary: "\(check.what): \(check.expectations) (try \(n) of \(attempts))", changed: false)
            }
            step.log("try \(n) of \(attempts): \(last.problems.joined(separator: "; "))", level: n == attempts ? .error : .warning)
            step.progress("try \(n) of \(attempts) failed", completed: Double(n), total: Double(attempts))
            if n < attempts { try await Task.sleep(nanoseconds: UInt64(interval * 1e9)) }
        }
        throw ResponseError.stepFailed("\(check.what): \(last.problems.joined(separator: "; ")) (after \(attempts) \(attempts == 1 ? "try" : "tries"))",
                                       exitCode: last.exitCode, outputs: outputs(last, attempts, check, step))
    }

    static func attempt(_ check: Check, _ step: StepContext, timeout: Double) async throws -> Attempt {
        var a = Attempt()
        switch check.target {
        case .command(let command):
            let r = try await step.capture(["/bin/sh", "-c", command], environment: step.commandEnvironment(), timeout: timeout)
            for line in r.stderr.split(separator: "\n") { step.log(String(line)) }
            a.exitCode = r.exitCode
            a.body = r.stdout
            if r.timedOut { a.problems.append("did not finish within \(Int(timeout)) s") }
            if r.exitCode != check.exitCode { a.problems.append("exit status \(r.exitCode), expected \(check.exitCode)") }
        case .http(let method, let url, let headers, let body):
            do {
                let response = try await HTTPClient(timeout: timeout).send(method, url, headers: headers, body: body)
                a.status = response.status
                a.body = response.text
                if response.status != check.status { a.problems.append("HTTP \(response.status), expected \(check.status)") }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                a.problems.append("\(method) \(url.absoluteString): \(describe(error))")
                return a
            }
        }
        if let text = check.contains, !a.body.contains(text) { a.problems.append("the \(check.isHTTP ? "body" : "output") does not contain '\(text)'") }
        if !check.json.isEmpty {
            if let value = try? JSONParser.parse(a.body) {
                for (path, want) in check.json.sorted(by: { $0.key < $1.key }) {
                    let found = lookup(path, in: value)
                    if found != want { a.problems.append("\(path) is \(found?.encoded() ?? "missing"), expected \(want.encoded())") }
                }
            } else {
                a.problems.append("the \(check.isHTTP ? "body" : "output") is not JSON")
            }
        }
        return a
    }

    /// `a.b.0.c`: object members, and list elements by number.
    static func lookup(_ path: String, in value: JSONValue) -> JSONValue? {
        var current: JSONValue? = value
        for part in path.split(separator: ".", omittingEmptySubsequences: false).map(String.init) {
            switch current {
            case .object(let o)?: current = o[part]
            case .array(let a)?: current = Int(part).flatMap { $0 >= 0 && $0 < a.count ? a[$0] : nil }
            default: return nil
            }
        }
        return current
    }

    static func outputs(_ a: Attempt, _ n: Int, _ check: Check, _ step: StepContext) -> [String: JSONValue] {
        var o: [String: JSONValue] = ["attempts": .int(n), "body": .string(firstBytes(step.masker.mask(a.body), 64 * 1024))]
        if check.isHTTP { o["status"] = a.status.map(JSONValue.int) ?? .null } else { o["exitCode"] = a.exitCode.map(JSONValue.int) ?? .null }
        return o
    }

    /// At most `limit` bytes of `text`, cut where a Unicode scalar starts.
    static func firstBytes(_ text: String, _ limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var end = text.utf8.index(text.utf8.startIndex, offsetBy: limit)
        while end > text.startIndex && end.samePosition(in: text.unicodeScalars) == nil { end = text.utf8.index(before: end) }
        return String(text.unicodeScalars[..<end])
    }

    /// Why a request got no answer, in words.
    static func describe(_ error: Error) -> String {
        guard let e = error as? URLError else { return "\(error)" }
        switch e.code {
        case .cannotConnectToHost: return "connection refused"
        case .timedOut: return "no answer in time"
        case .cannotFindHost, .dnsLookupFailed: return "host not found"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateNotYetValid:
            return "TLS failed: \(e.localizedDescription)"
        case .networkConnectionLost: return "connection lost"
        default: return e.localizedDescription
        }
    }
}

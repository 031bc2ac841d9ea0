import Foundation
import StepProtocol

/// A smoke test's target and expectations, read from the step's inputs.
struct Check {
    enum Target {
        case command(String)
        case http(method: String, url: URL, headers: [String: String], body: Data?)
    }

    let target: Target
    let exitCode: Int
    let status: Int
    let contains: String?
    let json: [String: JSONValue]

    init(_ with: [String: JSONValue]) throws {
        switch (with["run"]?.stringValue, with["http"]?.objectValue) {
        case (let command?, nil):
            target = .command(command)
        case (nil, let http?):
            let text = http["url"]?.stringValue ?? ""
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
                throw ResponseError.invalidInput("with.http.url", "'\(text)' is not an http:// or https:// URL")
            }
            var headers: [String: String] = [:]
            for (k, v) in http["headers"]?.objectValue ?? [:] { headers[k] = v.stringValue ?? v.encoded() }
            var body: Data?
            switch http["body"] {
            case .string(let s)?: body = Data(s.utf8)
            case let v? where !v.isNull:
                body = Data(v.encoded().utf8)
                if !headers.keys.contains(where: { $0.lowercased() == "content-type" }) { headers["Content-Type"] = "application/json" }
            default: body = nil
            }
            target = .http(method: (http["method"]?.stringValue ?? "GET").uppercased(), url: url, headers: headers, body: body)
        default:
            throw ResponseError(code: .invalidParams, message: "smoke-test needs exactly one of 'run' (a command) or 'http' (a request)",
                                data: ["errors": [["path": "with", "message": "give exactly one of run or http"]]])
        }
        let expect = with["expect"]?.objectValue ?? [:]
        let isHTTP = with["http"] != nil
        if isHTTP, expect["exit-code"] != nil {
            throw ResponseError.invalidInput("with.expect.exit-code", "applies to a command (run); an http check expects a status")
        }
        if !isHTTP, expect["status"] != nil {
            throw ResponseError.invalidInput("with.expect.status", "applies to an http check; a command (run) expects an exit-code")
        }
        exitCode = expect["exit-code"]?.intValue ?? 0
        status = expect["status"]?.intValue ?? 200
        contains = expect["contains"]?.stringValue
        json = expect["json"]?.objectValue ?? [:]
    }

    var isHTTP: Bool { if case .http = target { return true }; return false }

    /// `GET https://…` or `` `command` ``.
    var what: String {
        switch target {
        case .command(let c): return "`\(c)`"
        case .http(let m, let u, _, _): return "\(m) \(u.absoluteString)"
        }
    }

    /// The expectations in words.
    var expectations: String {
        var parts = [isHTTP ? "HTTP \(status)" : "exit status \(exitCode)"]
        if let contains { parts.append("'\(contains)' in the \(isHTTP ? "body" : "output")") }
        for (path, value) in json.sorted(by: { $0.key < $1.key }) { parts.append("\(path) = \(value.encoded())") }
        return parts.joined(separator: ", ")
    }
}

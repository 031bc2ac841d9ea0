import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StepProtocol

/// One HTTP answer: status, headers (names lowercased) and body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data
    public var url: URL?

    init(_ http: HTTPURLResponse?, body: Data?) {
        var h: [String: String] = [:]
        for (k, v) in http?.allHeaderFields ?? [:] { h["\(k)".lowercased()] = "\(v)" }
        self.init(status: http?.statusCode ?? 0, headers: h, body: body ?? Data(), url: http?.url)
    }

    public init(status: Int, headers: [String: String], body: Data, url: URL?) {
        self.status = status; self.headers = headers; self.body = body; self.url = url
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
    public var text: String { String(decoding: body, as: UTF8.self) }
    public var json: JSONValue? { try? JSONParser.parse(text) }
}

/// A small HTTP client on Foundation's URLSession for plugins that talk to
/// registries and APIs. A cancelled task cancels its request.
public final class HTTPClient: Sendable {
    private let session: URLSession
    private let challenges = ChallengeCatcher()

    public init(timeout: Double = 120) {
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.httpCookieAcceptPolicy = .never
        config.urlCache = nil
        // Answers to 401 challenges are the caller's (registries want a token flow, not a stored password):
        // without this delegate, URLSession on Linux waits forever on a Basic challenge.
        session = URLSession(configuration: config, delegate: challenges, delegateQueue: nil)
    }

    deinit { session.invalidateAndCancel() }

    /// Sends one request with `body` as is, following up to `maxRedirects` redirects itself: to another
    /// scheme, host or port only the headers in `HTTPClient.portableHeaders` go along (never `Authorization`,
    /// a token or an OTLP header; a registry's blob redirect to its storage host is followed without them, as
    /// Docker does). A credential is never sent over plain `http://` except to a loopback address: such a
    /// request is refused before connecting.
    public func send(_ method: String, _ url: URL, headers: [String: String] = [:], body: Data? = nil) async throws -> HTTPResponse {
        var method = method, url = url, headers = headers, body = body
        var hops = 0
        while true {
            try HTTPClient.checkCredentials(url, headers)
            let r = try await sendOnce(method, url, headers: headers, body: body)
            guard [301, 302, 303, 307, 308].contains(r.status), let location = r.header("Location"),
                  let next = URL(string: location, relativeTo: url)?.absoluteURL, ["http", "https"].contains(next.scheme?.lowercased() ?? "")
            else { return r }
            hops += 1
            guard hops <= HTTPClient.maxRedirects else { throw HTTPError.tooManyRedirects(url: HTTPClient.redacted(url)) }
            if !HTTPClient.sameOrigin(url, next) {
                headers = headers.filter { HTTPClient.portableHeaders.contains($0.key.lowercased()) }
            }
            if r.status == 303 || ((r.status == 301 || r.status == 302) && method == "POST") {
                if method != "HEAD" { method = "GET" }
                body = nil
                headers = headers.filter { $0.key.lowercased() != "content-type" && $0.key.lowercased() != "content-length" }
            }
            url = next
        }
    }

    public static let maxRedirects = 5
    /// The headers that may follow a redirect to another origin: none of them can carry a credential.
    public static let portableHeaders: Set<String> = ["accept", "accept-encoding", "accept-language", "content-type", "content-length",
                                                      "user-agent", "range", "if-match", "if-none-match"]

    static func sameOrigin(_ a: URL, _ b: URL) -> Bool {
        func port(_ u: URL) -> Int? { u.port ?? (u.scheme?.lowercased() == "https" ? 443 : u.scheme?.lowercased() == "http" ? 80 : nil) }
        return a.scheme?.lowercased() == b.scheme?.lowercased() && a.host?.lowercased() == b.host?.lowercased() && port(a) == port(b)
    }

    /// Whether a header can carry a credential: anything a client may not pass on to another origin,
    /// judged by name (`Authorization`, cookies, tokens, keys, secrets, passwords, sessions).
    public static func isCredential(_ header: String) -> Bool {
        let h = header.lowercased()
        return h == "authorization" || h == "proxy-authorization" || h == "cookie"
            || ["token", "key", "secret", "auth", "password", "session", "signature"].contains { h.contains($0) }
    }

    public static func isLoopback(_ host: String?) -> Bool {
        guard let h = host?.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]")) else { return false }
        return h == "localhost" || h.hasSuffix(".localhost") || h == "::1" || h.hasPrefix("127.")
    }

    /// Refuses a credential (a credential header or `user:password@`) over plain HTTP to a host that is not loopback.
    static func checkCredentials(_ url: URL, _ headers: [String: String]) throws {
        guard url.scheme?.lowercased() == "http", !isLoopback(url.host) else { return }
        if let h = headers.keys.first(where: isCredential) { throw HTTPError.credentialOverPlainHTTP(url: redacted(url), what: "the \(h) header") }
        if url.user != nil || url.password != nil { throw HTTPError.credentialOverPlainHTTP(url: redacted(url), what: "the user and password in the URL") }
    }

    /// The URL with any `user:password@` replaced by `***@`, for messages.
    public static func redacted(_ url: URL) -> String {
        guard url.user != nil || url.password != nil, var c = URLComponents(url: url, resolvingAgainstBaseURL: true) else { return url.absoluteString }
        c.user = nil; c.password = nil
        let s = c.string ?? url.absoluteString
        guard let r = s.range(of: "://") else { return s }
        return s.replacingCharacters(in: r, with: "://***@")
    }

    private func sendOnce(_ method: String, _ url: URL, headers: [String: String], body: Data?) async throws -> HTTPResponse {
        var request = URLRequest(url: url)
        request.httpMethod = method
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let box = TaskBox()
        let challenges = self.challenges
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<HTTPResponse, Error>) in
                let done: @Sendable (Data?, URLResponse?, Error?) -> Void = { data, response, error in
                    // A 401 whose challenge the delegate turned down ends as a cancelled task: give the caller the 401.
                    if let id = box.identifier, let refused = challenges.take(id) {
                        c.resume(returning: HTTPResponse(refused, body: data))
                        return
                    }
                    if let error {
                        c.resume(throwing: (error as? URLError)?.code == .cancelled ? CancellationError() : error)
                        return
                    }
                    c.resume(returning: HTTPResponse(response as? HTTPURLResponse, body: data))
                }
                let task: URLSessionTask
                if let body {
                    task = session.uploadTask(with: request, from: body, completionHandler: done)
                } else {
                    task = session.dataTask(with: request, completionHandler: done)
                }
                box.set(task)
                task.resume()
            }
        } onCancel: {
            box.cancel()
        }
    }
}

/// Why a request was not sent, or not followed further.
public enum HTTPError: Error, CustomStringConvertible {
    case credentialOverPlainHTTP(url: String, what: String)
    case tooManyRedirects(url: String)

    public var description: String {
        switch self {
        case .credentialOverPlainHTTP(let url, let what):
            return "refused to send \(what) over plain http to \(url): credentials go only over https, or to a loopback address"
        case .tooManyRedirects(let url): return "more than \(HTTPClient.maxRedirects) redirects from \(url)"
        }
    }
}

/// Turns down every authentication challenge and keeps the 401 that carried it, so the caller gets that answer;
/// refuses URLSession's own redirects (the client follows them itself, deciding which headers go along).
private final class ChallengeCatcher: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    private let lock = NSLock()
    private var refused: [Int: HTTPURLResponse] = [:]

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
                    completionHandler: @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void) {
        if let r = challenge.failureResponse as? HTTPURLResponse { lock.withLock { refused[task.taskIdentifier] = r } }
        completionHandler(.cancelAuthenticationChallenge, nil)
    }

    func take(_ id: Int) -> HTTPURLResponse? { lock.withLock { refused.removeValue(forKey: id) } }
}

/// Holds a URLSession task so that a cancellation handler can reach it.
private final class TaskBox: @unchecked Sendable {
    private let lock = NSLock()
    private var task: URLSessionTask?
    private var cancelled = false
    var identifier: Int? { lock.withLock { task?.taskIdentifier } }
    func set(_ t: URLSessionTask) {
        let c: Bool = lock.withLock { task = t; return cancelled }
        if c { t.cancel() }
    }
    func cancel() { lock.withLock { cancelled = true; return task }?.cancel() }
}

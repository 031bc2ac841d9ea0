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

    /// Sends one request with `body` as is.
    public func send(_ method: String, _ url: URL, headers: [String: String] = [:], body: Data? = nil) async throws -> HTTPResponse {
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

/// Turns down every authentication challenge and keeps the 401 that carried it, so the caller gets that answer.
private final class ChallengeCatcher: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    private let lock = NSLock()
    private var refused: [Int: HTTPURLResponse] = [:]

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

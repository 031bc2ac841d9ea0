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

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
    public var text: String { String(decoding: body, as: UTF8.self) }
    public var json: JSONValue? { try? JSONParser.parse(text) }
}

/// A small HTTP client on Foundation's URLSession for plugins that talk to
/// registries and APIs. A cancelled task cancels its request.
public final class HTTPClient: Sendable {
    private let session: URLSession

    public init(timeout: Double = 120) {
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.httpCookieAcceptPolicy = .never
        config.urlCache = nil
        session = URLSession(configuration: config)
    }

    deinit { session.invalidateAndCancel() }

    /// Sends one request. `body` is sent as is; `bodyFile` is streamed from disk.
    public func send(_ method: String, _ url: URL, headers: [String: String] = [:], body: Data? = nil,
                     bodyFile: URL? = nil) async throws -> HTTPResponse {
        var request = URLRequest(url: url)
        request.httpMethod = method
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let box = TaskBox()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<HTTPResponse, Error>) in
                let done: @Sendable (Data?, URLResponse?, Error?) -> Void = { data, response, error in
                    if let error {
                        c.resume(throwing: (error as? URLError)?.code == .cancelled ? CancellationError() : error)
                        return
                    }
                    let http = response as? HTTPURLResponse
                    var h: [String: String] = [:]
                    for (k, v) in http?.allHeaderFields ?? [:] { h["\(k)".lowercased()] = "\(v)" }
                    c.resume(returning: HTTPResponse(status: http?.statusCode ?? 0, headers: h, body: data ?? Data(), url: http?.url))
                }
                let task: URLSessionTask
                if let bodyFile {
                    task = session.uploadTask(with: request, fromFile: bodyFile, completionHandler: done)
                } else if let body {
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

/// Holds a URLSession task so that a cancellation handler can reach it.
private final class TaskBox: @unchecked Sendable {
    private let lock = NSLock()
    private var task: URLSessionTask?
    private var cancelled = false
    func set(_ t: URLSessionTask) {
        let c: Bool = lock.withLock { task = t; return cancelled }
        if c { t.cancel() }
    }
    func cancel() { lock.withLock { cancelled = true; return task }?.cancel() }
}

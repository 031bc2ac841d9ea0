import Foundation
import StepHTTP
import Testing

/// The HTTP client's retries, against a real server that answers 503 and 429 first.
@Suite("HTTPClient: retries and Retry-After", .timeLimit(.minutes(1)))
struct HTTPRetryTests {
    @Test("Retry-After as seconds or an HTTP date; nothing usable is nil")
    func retryAfter() {
        let now = Date(timeIntervalSince1970: 1_000_000_000)
        #expect(HTTPClient.retryAfter("7", now: now) == 7)
        #expect(HTTPClient.retryAfter("Sun, 09 Sep 2001 01:46:50 GMT", now: now) == 10)
        #expect(HTTPClient.retryAfter("soon", now: now) == nil && HTTPClient.retryAfter(nil, now: now) == nil && HTTPClient.retryAfter(" ", now: now) == nil)
    }

    @Test("503 then 429 then 200: sent three times, each retry heard with its reason; the last answer returned")
    func retries() async throws {
        let server = try await LocalService.fake("webhook", env: ["FAKE_WEBHOOK_STATUSES": "503,429,200", "FAKE_RETRY_AFTER": "0"])
        defer { server.stop() }
        let heard = Heard()
        let r = try await HTTPClient(timeout: 10).sendRetrying("POST", URL(string: "http://\(server.address)/hook")!, headers: ["Content-Type": "application/json"],
                                                               body: Data("{}".utf8), tries: 3, maxWait: 1) { attempt, why, _ in heard.add("\(attempt): \(why)") }
        #expect(r.status == 200 && r.text == "ok")
        #expect(heard.all == ["1: HTTP 503", "2: HTTP 429"])
        #expect(server.requests().count == 3)
    }

    @Test("out of tries: the last 5xx answer is returned, not thrown")
    func outOfTries() async throws {
        let server = try await LocalService.fake("webhook", env: ["FAKE_WEBHOOK_STATUSES": "500,500", "FAKE_RETRY_AFTER": "0"])
        defer { server.stop() }
        let r = try await HTTPClient(timeout: 10).sendRetrying("POST", URL(string: "http://\(server.address)/hook")!, headers: ["Content-Type": "application/json"],
                                                               body: Data("{}".utf8), tries: 2, maxWait: 1)
        #expect(r.status == 500 && server.requests().count == 2)
    }

    final class Heard: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func add(_ s: String) { lock.withLock { lines.append(s) } }
        var all: [String] { lock.withLock { lines } }
    }
}

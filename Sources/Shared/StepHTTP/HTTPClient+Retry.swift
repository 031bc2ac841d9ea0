import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension HTTPClient {
    /// Sends a request, and sends it again after an answer that says "later" (429, or any 5xx) or a
    /// connection that failed, `tries` times in all. The wait is what `Retry-After` says (seconds or an
    /// HTTP date), at most `maxWait`; without one, 1 s, then 2 s, then 4 s. The last answer is returned
    /// (a 429 or 5xx included); the last connection error is thrown. `onRetry` hears each retry: the
    /// try that failed, why, and the wait.
    public func sendRetrying(_ method: String, _ url: URL, headers: [String: String] = [:], body: Data? = nil, tries: Int = 3,
                             maxWait: Double = 30, onRetry: (Int, String, Double) -> Void = { _, _, _ in }) async throws -> HTTPResponse {
        var attempt = 0
        while true {
            attempt += 1
            let why: String, wait: Double
            do {
                let r = try await send(method, url, headers: headers, body: body)
                guard r.status == 429 || r.status >= 500, attempt < tries else { return r }
                why = "HTTP \(r.status)"
                wait = HTTPClient.retryAfter(r.header("Retry-After")).map { min(max($0, 0), maxWait) } ?? HTTPClient.backoff(attempt)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                guard attempt < tries else { throw error }
                why = (error as? URLError).map { "connection failed (\($0.code.rawValue))" } ?? "connection failed"
                wait = HTTPClient.backoff(attempt)
            }
            onRetry(attempt, why, wait)
            try await Task.sleep(nanoseconds: UInt64(wait * 1e9))
        }
    }

    static func backoff(_ attempt: Int) -> Double { Double(1 << min(attempt - 1, 5)) }

    /// `Retry-After`: a number of seconds, or an HTTP date (then the time until it).
    public static func retryAfter(_ value: String?, now: Date = Date()) -> Double? {
        guard let v = value?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
        if let s = Double(v) { return s }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return f.date(from: v).map { max($0.timeIntervalSince(now), 0) }
    }
}

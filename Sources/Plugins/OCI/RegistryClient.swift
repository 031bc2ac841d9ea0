import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PluginKit
import StepHTTP
import StepProtocol

/// The push side of the OCI distribution API for one repository, with Basic
/// auth and the Bearer token challenge (`WWW-Authenticate: Bearer realm=…`).
public final class RegistryClient: @unchecked Sendable {
    public static let manifestAccept = [
        "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json",
    ].joined(separator: ", ")

    public let image: ImageName
    private let base: URL
    private let http: HTTPClient
    private let credentials: (user: String, password: String)?
    private let onToken: @Sendable (String) -> Void
    private let lock = NSLock()
    private var authorization: String?

    /// `onToken` receives each bearer token obtained, so the caller can mask it.
    public init(image: ImageName, insecure: Bool, username: String?, password: String?, http: HTTPClient = HTTPClient(),
                onToken: @escaping @Sendable (String) -> Void = { _ in }) {
        self.image = image
        self.base = URL(string: "\(insecure ? "http" : "https")://\(image.registry)")!
        self.http = http
        if let username, let password, !username.isEmpty || !password.isEmpty { credentials = (username, password) } else { credentials = nil }
        self.onToken = onToken
    }

    // MARK: - Blobs

    /// Whether the registry already has the blob (HEAD).
    public func hasBlob(_ digest: String) async throws -> Bool {
        let r = try await send("HEAD", "/v2/\(image.repository)/blobs/\(digest)", what: "HEAD blob \(digest.prefix(19))")
        if r.status == 200 { return true }
        if r.status == 404 { return false }
        throw failure("HEAD blob \(digest.prefix(19))", r)
    }

    /// Uploads a blob: POST to open an upload, then PUT its bytes to the Location with `digest=`.
    public func uploadBlob(_ digest: String, data: Data) async throws {
        let start = try await send("POST", "/v2/\(image.repository)/blobs/uploads/", headers: ["Content-Length": "0"], body: Data(),
                                   what: "POST blob upload")
        guard start.status == 202, let location = start.header("Location") else { throw failure("POST blob upload", start) }
        guard var target = URL(string: location, relativeTo: base)?.absoluteURL,
              var parts = URLComponents(url: target, resolvingAgainstBaseURL: true) else {
            throw OCIError.registry(request: "POST blob upload", status: start.status, code: nil, message: "unusable Location '\(location)'")
        }
        // The Location usually carries a query string (_state=…) already: add digest to it.
        var query = parts.percentEncodedQueryItems ?? []
        query.append(URLQueryItem(name: "digest", value: digest.replacingOccurrences(of: ":", with: "%3A")))
        parts.percentEncodedQueryItems = query
        target = parts.url ?? target
        let put = try await send("PUT", target, headers: ["Content-Type": "application/octet-stream"], body: data,
                                 what: "PUT blob \(digest.prefix(19))")
        guard put.status == 201 else { throw failure("PUT blob \(digest.prefix(19))", put) }
        if let stored = put.header("Docker-Content-Digest"), stored != digest {
            throw OCIError.registry(request: "PUT blob", status: put.status, code: "DIGEST_INVALID", message: "stored as \(stored), expected \(digest)")
        }
    }

    // MARK: - Manifests

    /// The digest the registry serves for a tag or digest, or nil when it has none (HEAD).
    public func manifestDigest(_ reference: String) async throws -> String? {
        let r = try await send("HEAD", "/v2/\(image.repository)/manifests/\(reference)", headers: ["Accept": RegistryClient.manifestAccept],
                               what: "HEAD manifest \(reference)")
        if r.status == 404 { return nil }
        guard r.status == 200 else { throw failure("HEAD manifest \(reference)", r) }
        return r.header("Docker-Content-Digest")
    }

    /// Puts a manifest under a tag or its digest; returns the digest the registry reports.
    public func putManifest(_ reference: String, _ data: Data, mediaType: String) async throws -> String? {
        let r = try await send("PUT", "/v2/\(image.repository)/manifests/\(reference)", headers: ["Content-Type": mediaType], body: data,
                               what: "PUT manifest \(reference)")
        guard r.status == 201 || r.status == 200 else { throw failure("PUT manifest \(reference)", r) }
        return r.header("Docker-Content-Digest")
    }

    // MARK: - Requests and auth

    private func send(_ method: String, _ path: String, headers: [String: String] = [:], body: Data? = nil,
                      what: String) async throws -> HTTPResponse {
        try await send(method, URL(string: path, relativeTo: base)!.absoluteURL, headers: headers, body: body, what: what)
    }

    /// Sends a request; on 401 answers the challenge once (Basic, or a Bearer token from the realm) and sends it again.
    private func send(_ method: String, _ url: URL, headers: [String: String], body: Data? = nil,
                      what: String) async throws -> HTTPResponse {
        var answered = false
        while true {
            var h = headers
            if let a = lock.withLock({ authorization }) { h["Authorization"] = a }
            let r: HTTPResponse
            do {
                r = try await http.send(method, url, headers: h, body: body)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                throw OCIError.unreachable(url: "\(url.scheme ?? "")://\(url.host ?? "")\(url.port.map { ":\($0)" } ?? "")", reason: "\(error.localizedDescription)")
            }
            guard r.status == 401, !answered, let challenge = r.header("WWW-Authenticate") else { return r }
            try await answer(Challenge(challenge), for: what, response: r)
            answered = true
        }
    }

    private func answer(_ challenge: Challenge, for what: String, response: HTTPResponse) async throws {
        switch challenge.scheme {
        case "basic":
            guard let c = credentials else { throw noCredentials(what, response) }
            lock.withLock { authorization = "Basic " + Data("\(c.user):\(c.password)".utf8).base64EncodedString() }
        case "bearer":
            guard let realm = challenge.parameters["realm"], var parts = URLComponents(string: realm) else {
                throw OCIError.badToken(realm: "(none)", reason: "the Bearer challenge names no realm")
            }
            var scope = challenge.parameters["scope"] ?? ""
            if !scope.contains("push") { scope = "repository:\(image.repository):pull,push" }
            var query = parts.queryItems ?? []
            if let service = challenge.parameters["service"] { query.append(URLQueryItem(name: "service", value: service)) }
            query.append(URLQueryItem(name: "scope", value: scope))
            parts.queryItems = query
            guard let url = parts.url else { throw OCIError.badToken(realm: realm, reason: "the realm is not a URL") }
            var h: [String: String] = [:]
            if let c = credentials { h["Authorization"] = "Basic " + Data("\(c.user):\(c.password)".utf8).base64EncodedString() }
            let r: HTTPResponse
            do { r = try await http.send("GET", url, headers: h) } catch is CancellationError { throw CancellationError() } catch {
                throw OCIError.unreachable(url: realm, reason: error.localizedDescription)
            }
            guard r.status == 200 else {
                if credentials == nil { throw noCredentials(what, r) }
                throw failure("GET token (\(scope))", r)
            }
            guard let token = r.json?["token"]?.stringValue ?? r.json?["access_token"]?.stringValue, !token.isEmpty else {
                throw OCIError.badToken(realm: realm, reason: "the answer holds no token")
            }
            onToken(token)
            lock.withLock { authorization = "Bearer \(token)" }
        default:
            throw OCIError.registry(request: what, status: 401, code: "UNAUTHORIZED", message: "unsupported auth scheme '\(challenge.scheme)'")
        }
    }

    private func noCredentials(_ what: String, _ r: HTTPResponse) -> OCIError {
        let e = RegistryClient.errorBody(r)
        return .registry(request: what, status: 401, code: e.code ?? "UNAUTHORIZED",
                         message: (e.message.isEmpty ? "authentication required" : e.message) + " (no REGISTRY_USERNAME/REGISTRY_PASSWORD granted)")
    }

    private func failure(_ what: String, _ r: HTTPResponse) -> OCIError {
        let e = RegistryClient.errorBody(r)
        return .registry(request: what, status: r.status, code: e.code, message: e.message)
    }

    /// The first error code and all messages of an OCI error body (`{"errors":[{"code","message","detail"}]}`).
    static func errorBody(_ r: HTTPResponse) -> (code: String?, message: String) {
        guard let errors = r.json?["errors"]?.arrayValue, !errors.isEmpty else {
            let text = r.text.trimmingCharacters(in: .whitespacesAndNewlines)
            return (nil, String(text.prefix(300)))
        }
        let messages = errors.map { e -> String in
            var m = e["message"]?.stringValue ?? ""
            if let d = e["detail"], !d.isNull { m += " (\(d.stringValue ?? d.encoded()))" }
            return m
        }
        return (errors.first?["code"]?.stringValue, messages.joined(separator: "; "))
    }
}

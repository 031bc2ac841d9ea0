import PluginKit
import StepProtocol

/// Errors of OCI layouts and registry pushes, each with what to do about it.
public enum OCIError: Error, Sendable, Equatable, CustomStringConvertible, StepFailureConvertible {
    case notALayout(String)
    case badLayout(String, String)
    case missingBlob(String, String)
    case corruptBlob(String, String, String)
    case noSuchTag(String, String, [String])
    case badImageName(String)
    case unreachable(url: String, reason: String)
    /// A registry answered with an error: the request, the HTTP status, the error codes and messages of its body.
    case registry(request: String, status: Int, code: String?, message: String)
    case digestMismatch(tag: String, computed: String, registry: String)
    case badToken(realm: String, reason: String)
    case badPlatform(String)

    public var description: String {
        switch self {
        case .notALayout(let d): return "\(d) is not an OCI image layout (no oci-layout file)"
        case .badLayout(let d, let why): return "\(d): \(why)"
        case .missingBlob(let d, let dg): return "\(d): blob \(dg) is missing"
        case .corruptBlob(let d, let dg, let actual): return "\(d): blob \(dg) has digest \(actual): the layout is corrupt"
        case .noSuchTag(let d, let t, let have): return "\(d): no image tagged '\(t)' (the layout has: \(have.isEmpty ? "none" : have.joined(separator: ", ")))"
        case .badImageName(let s): return "'\(s)' is not a repository like ghcr.io/OWNER/NAME or 127.0.0.1:5000/demo/app (a registry host, then a lowercase path, no tag or digest)"
        case .unreachable(let u, let r): return "cannot reach \(u): \(r)"
        case .registry(let req, let status, let code, let message):
            return "\(req): HTTP \(status)\(code.map { " \($0)" } ?? "")\(message.isEmpty ? "" : ": \(message)")"
        case .digestMismatch(let t, let c, let r): return "the registry stored tag \(t) as \(r), but its manifest's digest is \(c)"
        case .badToken(let realm, let why): return "token from \(realm): \(why)"
        case .badPlatform(let p): return "'\(p)' is not a platform like linux/amd64 or linux/arm64/v8"
        }
    }

    /// The runbook's answer to "invalid username/password" while building or pushing an image.
    public static let credentialsHint = "the registry refused the credentials: check the token in the registry password secret (REGISTRY_PASSWORD, e.g. from GITHUB_PAT) and its user (REGISTRY_USERNAME): it needs the read:packages and write:packages scopes"

    /// Whether a build's or pull's output says the registry refused the credentials.
    public static func refusedCredentials(_ output: String) -> Bool {
        let o = output.lowercased()
        return ["invalid username/password", "401 unauthorized", "authentication required",
                "incorrect username or password", "denied: denied"].contains { o.contains($0) }
    }

    public var hint: String? {
        switch self {
        case .registry(_, let status, let code, let message):
            let m = message.lowercased()
            if m.contains("permission_denied") || m.contains("write_package") || code == "DENIED" || status == 403 {
                return "the token may not write this package: it needs the write:packages scope (in GitHub Actions: permissions: packages: write), and an existing package must grant this repository write access (package settings → Manage Actions access) or be owned by the token's user or organisation"
            }
            if code == "UNAUTHORIZED" || status == 401 { return OCIError.credentialsHint }
            if code == "NAME_UNKNOWN" || code == "NAME_INVALID" {
                return "the repository name is unknown to the registry or invalid: check the image input (lowercase, OWNER/NAME under the registry host)"
            }
            if code == "DIGEST_INVALID" || code == "BLOB_UPLOAD_INVALID" {
                return "the registry computed another digest for an upload: the layout's blob may have changed on disk, or a proxy altered the body; rebuild the layout"
            }
            if code == "MANIFEST_BLOB_UNKNOWN" || code == "BLOB_UNKNOWN" {
                return "the manifest names a blob the registry does not have: the layout is incomplete (rebuild it) or the upload did not complete"
            }
            if code == "MANIFEST_INVALID" {
                return "the registry refused the manifest: is its media type one the registry accepts (OCI or Docker v2)?"
            }
            if status == 429 { return "the registry is rate-limiting: retry later (retry: in the manifest)" }
            if status >= 500 { return "the registry failed; retrying may help" }
            return nil
        case .badToken: return OCIError.credentialsHint
        case .unreachable: return "check the registry host and the network; for a plain-HTTP registry on this machine set insecure: true"
        case .noSuchTag: return "give tags that the layout names (docker-build's tags), or leave tags unset to push all of them"
        case .digestMismatch: return "a proxy or the registry rewrote the manifest; push again, or check the registry"
        case .corruptBlob, .missingBlob: return "rebuild the layout with docker-build"
        default: return nil
        }
    }

    /// The step failure a plugin answers with: message, hint, and whether a retry may help.
    public var stepFailure: ResponseError { .stepFailed(description, hint: hint, retryable: retryable) }

    /// Whether trying again may help (rate limits and server errors).
    public var retryable: Bool {
        switch self {
        case .unreachable: return true
        case .registry(_, let status, _, _): return status == 429 || status >= 500
        default: return false
        }
    }
}

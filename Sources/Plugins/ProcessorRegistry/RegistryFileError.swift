import PluginKit
import StepProtocol

/// What can be wrong with a processor reference, an image reference or a registry file.
public enum RegistryFileError: Error, Sendable, Equatable, CustomStringConvertible {
    case badProcessorRef(String)
    case notPinned(String)
    case badDigest(String)
    case badRepository(String)
    case missing(file: String)
    case unreadable(file: String, reason: String)
    case invalid(file: String, reason: String)
    case wrongProcessor(file: String, line: Int, expected: String, found: String)
    case noImage(file: String)
    case noKey(file: String, key: String)
    case unsupportedStyle(file: String, line: Int)
    case writeFailed(file: String, reason: String)
    case verifyFailed(file: String, expected: String, found: String)

    public var description: String {
        switch self {
        case .badProcessorRef(let s): return "'\(s)' is not a processor reference like llm/litellm@1"
        case .notPinned(let s): return "image '\(s)' is not pinned to a digest (a tag can move; a digest cannot)"
        case .badDigest(let s): return "'\(s)' does not end in @sha256: and 64 lowercase hexadecimal digits"
        case .badRepository(let s): return "'\(s)' has no valid repository before '@' (lowercase letters, digits, . _ - / :)"
        case .missing(let f): return "\(f): no such registry file"
        case .unreadable(let f, let r): return "\(f): cannot read: \(r)"
        case .invalid(let f, let r): return "\(f): \(r)"
        case .wrongProcessor(let f, let l, let e, let found): return "\(f):\(l): the file is for '\(found)', not '\(e)'"
        case .noImage(let f): return "\(f): no image.oci value"
        case .noKey(let f, let k): return "\(f): no value at \(k) (pin-digest changes values; it never adds keys)"
        case .unsupportedStyle(let f, let l): return "\(f):\(l): image.oci is a block scalar; write it on one line"
        case .writeFailed(let f, let r): return "\(f): cannot write: \(r)"
        case .verifyFailed(let f, let e, let found): return "\(f): after writing, image.oci reads '\(found)', not '\(e)'"
        }
    }

    /// What to do about it.
    public var hint: String? {
        switch self {
        case .badProcessorRef: return "a processor is NAME@VERSION; its registry file is NAME with / as _, plus .yaml"
        case .notPinned: return "pin it first: build and push the image, then pin-digest writes image.oci as repository@sha256:…"
        case .badDigest, .badRepository: return "pass the ref output of ghcr-push (repository@sha256:<64 hex>)"
        case .missing: return "check the registry input (default Registry/processors) and the processor's name"
        case .wrongProcessor: return "the file's name: or ref: must equal the processor reference exactly"
        case .noImage: return "add 'image:' with an 'oci:' key to the file"
        case .noKey(_, let k): return "add \(k) to the file (with any value: the first pin replaces it), or give key/pins that the file has"
        default: return nil
        }
    }
}

extension RegistryFileError: StepFailureConvertible {
    public var stepFailure: ResponseError { .stepFailed(description, hint: hint) }
}

import Foundation
import StepProtocol

/// `sha256:<hex>` digests of content, computed with StepProtocol's SHA-256 (which hashes contiguous bytes in place).
public enum Digest {
    public static func of(_ data: Data) -> String { "sha256:" + SHA256.hex(data) }
}

/// An image reference pinned to a digest: `REPOSITORY@sha256:<64 lowercase hex>`.
public struct ImageReference: Sendable, Hashable, CustomStringConvertible {
    public let repository: String
    public let digest: String

    public init(_ text: String) throws(RegistryFileError) {
        guard let at = text.lastIndex(of: "@") else {
            throw .notPinned(text)
        }
        let repo = String(text[..<at]), digest = String(text[text.index(after: at)...])
        guard ImageReference.isDigest(digest) else { throw .badDigest(text) }
        guard !repo.isEmpty, !repo.hasPrefix("/"), !repo.hasSuffix("/"),
              repo.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || "._-/:".contains($0)) }) else {
            throw .badRepository(text)
        }
        repository = repo
        self.digest = digest
    }

    /// `sha256:` and 64 lowercase hexadecimal digits.
    public static func isDigest(_ s: String) -> Bool {
        guard s.hasPrefix("sha256:") else { return false }
        let hex = s.utf8.dropFirst(7)
        return hex.count == 64 && hex.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    public var description: String { "\(repository)@\(digest)" }
}

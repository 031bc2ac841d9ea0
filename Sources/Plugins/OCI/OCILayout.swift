import Foundation
import StepProtocol

/// An OCI image layout on disk (`oci-layout`, `index.json`, `blobs/sha256/…`),
/// as buildah and buildx write it.
public struct OCILayout: Sendable {
    public static let indexMediaType = "application/vnd.oci.image.index.v1+json"
    public static let manifestMediaType = "application/vnd.oci.image.manifest.v1+json"
    public static let refNameAnnotation = "org.opencontainers.image.ref.name"

    /// One entry of `index.json`.
    public struct Entry: Sendable, Hashable {
        public var mediaType: String
        public var digest: String
        public var size: Int
        /// `org.opencontainers.image.ref.name`: the tag.
        public var refName: String?
    }

    public let directory: String
    public var entries: [Entry]

    public init(directory: String) throws(OCIError) {
        self.directory = directory
        guard FileManager.default.fileExists(atPath: "\(directory)/oci-layout") else { throw .notALayout(directory) }
        guard let data = FileManager.default.contents(atPath: "\(directory)/index.json"),
              let index = try? JSONParser.parse(String(decoding: data, as: UTF8.self)) else {
            throw .badLayout(directory, "index.json is missing or not JSON")
        }
        var entries: [Entry] = []
        for m in index["manifests"]?.arrayValue ?? [] {
            guard let digest = m["digest"]?.stringValue, let mediaType = m["mediaType"]?.stringValue else {
                throw .badLayout(directory, "an index.json entry lacks digest or mediaType")
            }
            entries.append(Entry(mediaType: mediaType, digest: digest, size: m["size"]?.intValue ?? 0,
                                 refName: m["annotations"]?[OCILayout.refNameAnnotation]?.stringValue))
        }
        self.entries = entries
    }

    /// The tags the layout names.
    public var tags: [String] { entries.compactMap(\.refName) }

    public func entry(tag: String) -> Entry? { entries.first { $0.refName == tag } }

    public func blobPath(_ digest: String) -> String {
        "\(directory)/blobs/\(digest.replacingOccurrences(of: ":", with: "/"))"
    }

    /// A blob's bytes, checked against its digest. Mapped, not read: a layer of hundreds of
    /// megabytes costs address space, not memory.
    public func blob(_ digest: String) throws(OCIError) -> Data {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: blobPath(digest)), options: .alwaysMapped) else {
            throw .missingBlob(directory, digest)
        }
        let actual = Digest.of(data)
        guard actual == digest else { throw .corruptBlob(directory, digest, actual) }
        return data
    }

    /// Rewrites `index.json` so that each of `tags` names `entry` (one index entry per tag).
    public static func writeIndex(directory: String, entry: Entry, tags: [String]) throws(OCIError) {
        var manifests: [JSONValue] = []
        for tag in tags {
            manifests.append(["mediaType": .string(entry.mediaType), "digest": .string(entry.digest), "size": .int(entry.size),
                              "annotations": [.init(stringLiteral: OCILayout.refNameAnnotation): .string(tag)]])
        }
        let index: JSONValue = ["schemaVersion": 2, "mediaType": .string(indexMediaType), "manifests": .array(manifests)]
        guard FileManager.default.createFile(atPath: "\(directory)/index.json", contents: Data(index.encoded().utf8)) else {
            throw .badLayout(directory, "cannot write index.json")
        }
    }
}

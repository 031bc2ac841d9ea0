import Foundation
import OCI
import StepProtocol

/// What a push sends: blobs (configs and layers) and child manifests, each once, in order.
struct PushPlan {
    struct Item: Hashable { var digest: String; var mediaType: String; var size: Int }
    var blobs: [Item] = []
    var children: [Item] = []
    private var seen: Set<String> = []

    mutating func add(manifest digest: String, mediaType: String, from layout: OCILayout, isChild: Bool = false) throws {
        guard seen.insert(digest).inserted else { return }
        let data = try layout.blob(digest)
        guard let json = try? JSONParser.parse(String(decoding: data, as: UTF8.self)) else {
            throw OCIError.badLayout(layout.directory, "manifest \(digest) is not JSON")
        }
        let type = json["mediaType"]?.stringValue ?? mediaType
        if let list = json["manifests"]?.arrayValue {
            for m in list {
                guard let d = m["digest"]?.stringValue else { continue }
                // A child the layout does not hold (another platform, not built) cannot be pushed: skip it with the index.
                guard FileManager.default.fileExists(atPath: layout.blobPath(d)) else { continue }
                try add(manifest: d, mediaType: m["mediaType"]?.stringValue ?? OCILayout.manifestMediaType, from: layout, isChild: true)
            }
        } else {
            for d in [json["config"]].compactMap({ $0 }) + (json["layers"]?.arrayValue ?? []) {
                guard let digest = d["digest"]?.stringValue, seen.insert(digest).inserted else { continue }
                blobs.append(Item(digest: digest, mediaType: d["mediaType"]?.stringValue ?? "", size: d["size"]?.intValue ?? 0))
            }
        }
        if isChild { children.append(Item(digest: digest, mediaType: type, size: data.count)) }
    }
}

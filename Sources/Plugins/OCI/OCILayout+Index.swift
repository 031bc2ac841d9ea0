import Foundation
import StepProtocol

extension OCILayout {
    /// Gathers one image per platform (each the first entry of its own layout) into one layout whose
    /// tags name an OCI image index of them. The index's bytes depend only on the images, so
    /// reproducible images give a reproducible index. Returns the index's entry.
    public static func assembleIndex(_ parts: [(platform: OCIPlatform, layout: OCILayout)], into output: String, tags: [String]) throws(OCIError) -> Entry {
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: "\(output)/blobs/sha256", withIntermediateDirectories: true) } catch {
            throw .badLayout(output, "cannot create it: \(error.localizedDescription)")
        }
        guard fm.createFile(atPath: "\(output)/oci-layout", contents: Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8)) else {
            throw .badLayout(output, "cannot write oci-layout")
        }
        var manifests: [JSONValue] = []
        for (platform, layout) in parts {
            guard let image = layout.entries.first else { throw .badLayout(layout.directory, "the \(platform) build wrote no image") }
            for blob in (try? fm.contentsOfDirectory(atPath: "\(layout.directory)/blobs/sha256")) ?? [] {
                let to = "\(output)/blobs/sha256/\(blob)"
                if fm.fileExists(atPath: to) { continue }
                do { try fm.copyItem(atPath: "\(layout.directory)/blobs/sha256/\(blob)", toPath: to) } catch {
                    throw .badLayout(output, "cannot copy blob \(blob): \(error.localizedDescription)")
                }
            }
            manifests.append(["mediaType": .string(image.mediaType), "digest": .string(image.digest), "size": .int(image.size),
                              "platform": .object(platform.json.mapValues(JSONValue.string))])
        }
        let index: JSONValue = ["schemaVersion": 2, "mediaType": .string(indexMediaType), "manifests": .array(manifests)]
        let bytes = Data(index.encoded().utf8)
        let digest = Digest.of(bytes)
        guard fm.createFile(atPath: "\(output)/blobs/\(digest.replacingOccurrences(of: ":", with: "/"))", contents: bytes) else {
            throw .badLayout(output, "cannot write the index")
        }
        let entry = Entry(mediaType: indexMediaType, digest: digest, size: bytes.count, refName: tags.first)
        try writeIndex(directory: output, entry: entry, tags: tags)
        return entry
    }

    /// The image index an entry names: each platform's key (`amd64`, `arm64/v8`) -> its manifest digest; nil for a single image.
    public func platformDigests(_ entry: Entry) throws(OCIError) -> [String: String]? {
        let data = try blob(entry.digest)
        guard let index = try? JSONParser.parse(String(decoding: data, as: UTF8.self)), let list = index["manifests"]?.arrayValue else { return nil }
        var out: [String: String] = [:]
        for m in list {
            guard let digest = m["digest"]?.stringValue, let arch = m["platform"]?["architecture"]?.stringValue else { continue }
            out[m["platform"]?["variant"]?.stringValue.map { "\(arch)/\($0)" } ?? arch] = digest
        }
        return out
    }
}

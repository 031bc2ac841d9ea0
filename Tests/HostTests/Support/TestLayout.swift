import Foundation
import StepProtocol

/// OCI image layouts written by hand for push tests: a config, some layers, a manifest.
enum TestLayout {
    /// Writes a layout with one image tagged `tags`; returns its folder and manifest digest.
    static func make(layers: [String], tags: [String] = ["v1"], in dir: String = TestSupport.tempDir("layout")) throws -> (dir: String, digest: String) {
        try FileManager.default.createDirectory(atPath: "\(dir)/blobs/sha256", withIntermediateDirectories: true)
        func blob(_ data: Data) throws -> (digest: String, size: Int) {
            let hex = SHA256.hex([UInt8](data))
            try data.write(to: URL(fileURLWithPath: "\(dir)/blobs/sha256/\(hex)"))
            return ("sha256:\(hex)", data.count)
        }
        let layerBlobs = try layers.map { try blob(Data($0.utf8)) }
        let config = try blob(Data(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}"#.utf8))
        let manifest: JSONValue = [
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": ["mediaType": "application/vnd.oci.image.config.v1+json", "digest": .string(config.digest), "size": .int(config.size)],
            "layers": .array(layerBlobs.map { ["mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": .string($0.digest), "size": .int($0.size)] }),
        ]
        let m = try blob(Data(manifest.encoded().utf8))
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: "\(dir)/oci-layout"))
        let index: JSONValue = ["schemaVersion": 2, "manifests": .array(tags.map { t in
            ["mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": .string(m.digest), "size": .int(m.size),
             "annotations": ["org.opencontainers.image.ref.name": .string(t)]]
        })]
        try Data(index.encoded().utf8).write(to: URL(fileURLWithPath: "\(dir)/index.json"))
        return (dir, m.digest)
    }

    /// Writes a layout whose tag names an image index of one image per architecture; returns the index's digest.
    static func makeIndex(architectures: [String], tag: String = "multi") throws -> (dir: String, digest: String) {
        let dir = TestSupport.tempDir("index-layout")
        var children: [JSONValue] = []
        for arch in architectures {
            let (_, digest) = try make(layers: ["layer for \(arch)"], tags: ["tmp-\(arch)"], in: dir)
            let size = (try FileManager.default.attributesOfItem(atPath: "\(dir)/blobs/sha256/\(digest.dropFirst(7))")[.size] as? Int) ?? 0
            children.append(["mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": .string(digest), "size": .int(size),
                             "platform": ["architecture": .string(arch), "os": "linux"]])
        }
        let index: JSONValue = ["schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": .array(children)]
        let data = Data(index.encoded().utf8)
        let hex = SHA256.hex([UInt8](data))
        try data.write(to: URL(fileURLWithPath: "\(dir)/blobs/sha256/\(hex)"))
        let top: JSONValue = ["schemaVersion": 2, "manifests": [["mediaType": "application/vnd.oci.image.index.v1+json", "digest": .string("sha256:\(hex)"),
                                                                 "size": .int(data.count), "annotations": ["org.opencontainers.image.ref.name": .string(tag)]]]]
        try Data(top.encoded().utf8).write(to: URL(fileURLWithPath: "\(dir)/index.json"))
        return (dir, "sha256:\(hex)")
    }
}

import Foundation
import OCI
import PluginKit
import StepProtocol

enum GHCRPushStep {
    /// Blob uploads at once.
    static let parallelUploads = 4

    static let description = StepDescription(
        name: "ghcr-push",
        description: "Push an OCI image layout to a registry (GHCR or any OCI registry) and capture its digest",
        inputs: [
            "type": "object", "additionalProperties": false, "required": ["layout", "image"],
            "properties": [
                "layout": ["type": "string", "description": "OCI image layout folder (docker-build's layout output)"],
                "image": ["type": "string", "description": "destination repository, e.g. ghcr.io/OWNER/NAME or 127.0.0.1:5000/demo/app"],
                "tags": ["type": "array", "items": ["type": "string"], "description": "tags to push (default: every tag the layout names)"],
                "insecure": ["type": "boolean", "description": "allow plain HTTP (for a registry on this machine)"],
            ],
        ],
        outputs: ["digest": "sha256 digest of the pushed manifest (the index, for several platforms)", "ref": "image@digest",
                  "refs": "for an index: architecture (amd64, arm64, arm64/v8) -> image@that platform's manifest digest",
                  "pushed": "false when the registry had everything"])

    @Sendable static func run(_ step: StepContext) async throws -> StepRunResult {
        let layoutPath = step.with["layout"]?.stringValue.map(step.path)
        let built = layoutPath.map { FileManager.default.fileExists(atPath: "\($0)/oci-layout") } ?? false
        if step.isDryRun && !built {
            // A dry run of a pipeline: the build before this one did not run, so there is no layout yet.
            let image = try step.with["image"]?.stringValue.map { try ImageName($0).description } ?? "(the image a real run names)"
            return StepRunResult(outputs: ["digest": .null, "ref": .null, "pushed": .null],
                                 summary: "would push the layout \(layoutPath ?? "(not built yet)") to \(image)", changed: false)
        }
        let layout = try OCILayout(directory: layoutPath ?? "")
        let image = try ImageName(step.with["image"]?.stringValue ?? "")
        let insecure = step.with["insecure"]?.boolValue ?? false
        if insecure && !image.isLoopback { step.log("insecure: true for \(image.registry), which is not on this machine: plain HTTP", level: .warning) }
        let tags = step.with["tags"]?.arrayValue?.compactMap(\.stringValue) ?? layout.tags
        guard !tags.isEmpty else { throw OCIError.noSuchTag(layout.directory, "(none given)", layout.tags) }
        var entries: [(tag: String, entry: OCILayout.Entry)] = []
        for tag in tags {
            guard let e = layout.entry(tag: tag) else { throw OCIError.noSuchTag(layout.directory, tag, layout.tags) }
            entries.append((tag, e))
        }
        let first = entries[0].entry
        let ref = "\(image)@\(first.digest)"
        let refs = try platformRefs(first, in: layout, image: image)
        // Everything to push, children before what names them: blobs, then manifests.
        var plan = PushPlan()
        for e in entries { try plan.add(manifest: e.entry.digest, mediaType: e.entry.mediaType, from: layout) }
        if step.isDryRun {
            return StepRunResult(outputs: ["digest": .string(first.digest), "ref": .string(ref), "refs": refs, "pushed": false],
                                 summary: "would push \(plan.blobs.count) blob(s) and \(tags.count) tag(s) of \(first.digest.prefix(19))… to \(image)",
                                 changed: false)
        }

        let client = RegistryClient(image: image, insecure: insecure, username: step.request.secrets["REGISTRY_USERNAME"],
                                    password: step.request.secrets["REGISTRY_PASSWORD"], onToken: { step.mask($0) })
        // HEAD each blob, one at a time (the first answers the auth challenge for all); then upload the missing ones,
        // a few at a time, as a registry takes several uploads at once and each is hashed on both sides.
        var missing: [PushPlan.Item] = []
        var present = 0
        for blob in plan.blobs {
            try Task.checkCancellation()
            if try await client.hasBlob(blob.digest) {
                present += 1
                step.progress("blob \(blob.digest.prefix(19))… already in \(image.registry)", completed: Double(present), total: Double(plan.blobs.count))
            } else {
                missing.append(blob)
            }
        }
        let progress = ProgressCounter(step: step, total: plan.blobs.count, done: present)
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func upload(_ blob: PushPlan.Item) async throws {
                let data = try layout.blob(blob.digest)  // the bytes must match their name before they go out
                try await client.uploadBlob(blob.digest, data: data)
                progress.uploaded(blob)
            }
            while next < min(GHCRPushStep.parallelUploads, missing.count) {
                let blob = missing[next]; next += 1
                group.addTask { try await upload(blob) }
            }
            while try await group.next() != nil {
                if next < missing.count {
                    let blob = missing[next]; next += 1
                    group.addTask { try await upload(blob) }
                }
            }
        }
        var pushed = !missing.isEmpty
        let uploaded = missing.count, bytes = missing.reduce(0) { $0 + $1.size }
        // Child manifests of an index go by digest; the top manifests under each tag.
        for m in plan.children {
            if try await client.manifestDigest(m.digest) == m.digest { continue }
            try await put(client, reference: m.digest, manifest: m, layout: layout)
            pushed = true
        }
        for (tag, e) in entries {
            if try await client.manifestDigest(tag) == e.digest {
                step.log("\(image):\(tag) already is \(e.digest)")
                continue
            }
            try await put(client, reference: tag, manifest: .init(digest: e.digest, mediaType: e.mediaType, size: e.size), layout: layout)
            pushed = true
            step.log("pushed \(image):\(tag) -> \(e.digest)")
        }
        let summary = pushed ? "pushed \(ref) (\(uploaded) blob(s), \(bytes) bytes uploaded; tags \(tags.joined(separator: ", ")))"
            : "\(ref) was already in the registry"
        return StepRunResult(outputs: ["digest": .string(first.digest), "ref": .string(ref), "refs": refs, "pushed": .bool(pushed)],
                             summary: summary, changed: pushed)
    }

    /// For an index: each platform's architecture (with its variant, `arm64/v8`) -> image@its manifest digest; else null.
    static func platformRefs(_ entry: OCILayout.Entry, in layout: OCILayout, image: ImageName) throws -> JSONValue {
        guard let digests = try layout.platformDigests(entry) else { return .null }
        return .object(digests.mapValues { .string("\(image)@\($0)") })
    }

    static func put(_ client: RegistryClient, reference: String, manifest: PushPlan.Item, layout: OCILayout) async throws {
        let data = try layout.blob(manifest.digest)
        let stored = try await client.putManifest(reference, data, mediaType: manifest.mediaType)
        // The digest computed here from the bytes sent must be the one the registry stored.
        if let stored, stored != manifest.digest {
            throw OCIError.digestMismatch(tag: reference, computed: manifest.digest, registry: stored)
        }
    }
}

import Foundation
import PluginKit
import ProcessorRegistry
import StepProtocol

enum PinDigestStep {
    static let description = StepDescription(
        name: "pin-digest",
        description: "Set image.oci of a processor's registry file to repository@sha256:…, changing nothing else",
        inputs: [
            "type": "object", "additionalProperties": false, "required": ["processor", "ref"],
            "properties": [
                "registry": ["type": "string", "description": "folder of registry files (default Registry/processors)"],
                "processor": ["type": "string", "description": "processor reference, e.g. llm/litellm@1 (file llm_litellm.yaml)"],
                "ref": ["type": "string", "description": "repository@sha256:<64 lowercase hex>, e.g. ghcr-push's ref output"],
            ],
        ],
        outputs: ["file": "the registry file (relative to the workspace)", "old": "image.oci before", "new": "image.oci after",
                  "changed": "whether the file changed"])

    @Sendable static func run(_ step: StepContext) async throws -> StepRunResult {
        let registry = step.path(step.with["registry"]?.stringValue ?? "Registry/processors")
        guard let processorText = step.with["processor"]?.stringValue else {
            // Only in a dry run (the schema requires a string otherwise): an earlier step would have named it.
            return StepRunResult(outputs: ["file": .null, "old": .null, "new": .null, "changed": .null],
                                 summary: "would pin a processor (named by an earlier step) in \(step.relative(registry))", changed: false)
        }
        let processor = try ProcessorRef(processorText)
        let file = try RegistryFile.load(processor, in: registry)
        let shown = step.relative(file.path)
        let old = file.image
        guard let refText = step.with["ref"]?.stringValue else {
            return StepRunResult(outputs: ["file": .string(shown), "old": old.map(JSONValue.string) ?? .null, "new": .null, "changed": .null],
                                 summary: "would pin \(processor) in \(shown) to the digest an earlier step reports", changed: false)
        }
        let ref = try ImageReference(refText)
        var outputs: [String: JSONValue] = ["file": .string(shown), "old": old.map(JSONValue.string) ?? .null, "new": .string(ref.description)]
        if old == ref.description {
            outputs["changed"] = false
            return StepRunResult(outputs: outputs, summary: "\(shown) already pins \(ref.digest.prefix(19))…", changed: false)
        }
        let updated = try file.replacingImage(with: ref)
        outputs["changed"] = true
        if step.isDryRun {
            return StepRunResult(outputs: outputs, summary: "would pin \(processor) to \(ref.digest.prefix(19))… in \(shown)", changed: false)
        }
        try RegistryFile.writeAtomically(updated, to: file.path)
        // Read it back: the file must now say exactly `ref`, and parse as before.
        let reread = try RegistryFile(path: file.path)
        guard reread.image == ref.description else {
            throw RegistryFileError.verifyFailed(file: shown, expected: ref.description, found: reread.image ?? "(nothing)")
        }
        step.log("\(shown): image.oci \(old ?? "(none)") -> \(ref)")
        return StepRunResult(outputs: outputs, summary: "pinned \(processor) to \(ref.digest.prefix(19))… in \(shown)")
    }
}

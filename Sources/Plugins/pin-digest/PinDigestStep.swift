import Foundation
import PluginKit
import ProcessorRegistry
import StepProtocol

enum PinDigestStep {
    static let description = StepDescription(
        name: "pin-digest",
        description: "Set image digests in a processor's registry file (image.oci, or the keys given), changing nothing else",
        inputs: [
            "type": "object", "additionalProperties": false,
            "properties": [
                "registry": ["type": "string", "description": "folder of registry files (default Registry/processors); with processor"],
                "processor": ["type": "string", "description": "processor reference, e.g. llm/litellm@1 (file llm_litellm.yaml)"],
                "file": ["type": "string", "description": "the registry file itself (e.g. a registry.yaml beside the code), instead of registry + processor"],
                "key": ["type": "string", "description": "dotted path of the value ref goes to (default image.oci)"],
                "ref": ["type": "string", "description": "repository@sha256:<64 lowercase hex>, e.g. ghcr-push's ref output"],
                "pins": ["type": "object", "additionalProperties": ["type": "string"],
                         "description": "several at once, instead of key + ref: dotted path -> ref, e.g. {image.platforms.amd64: …, image.platforms.arm64: …}"],
            ],
        ],
        outputs: ["file": "the registry file (relative to the workspace)", "old": "the value before (with pins: a map from path)",
                  "new": "the value after (with pins: a map)", "changed": "whether the file changed"])

    @Sendable static func run(_ step: StepContext) async throws -> StepRunResult {
        let w = step.with
        let hasFile = w["file"] != nil, hasProcessor = w["processor"] != nil
        if hasFile == hasProcessor {
            throw ResponseError.invalidInput("with", hasFile ? "give file or processor (with registry), not both" : "give processor (with registry) or file")
        }
        let hasPins = w["pins"] != nil, hasRef = w["ref"] != nil
        if hasPins && (hasRef || w["key"] != nil) { throw ResponseError.invalidInput("with.pins", "give pins, or key and ref, not both") }
        if !hasPins && !hasRef { throw ResponseError.invalidInput("with", "give ref (with key, default image.oci), or pins") }

        // The file: given, or found from the processor in the registry folder.
        let file: RegistryFile
        var what: String
        if hasFile {
            guard let path = w["file"]?.stringValue else {
                return StepRunResult(outputs: ["file": .null, "old": .null, "new": .null, "changed": .null],
                                     summary: "would pin digests in a registry file an earlier step names", changed: false)
            }
            file = try RegistryFile(path: step.path(path))
            what = file.declaredRef?.value ?? step.relative(file.path)
        } else {
            let registry = step.path(w["registry"]?.stringValue ?? "Registry/processors")
            guard let processorText = w["processor"]?.stringValue else {
                // Only in a dry run (a string otherwise): an earlier step would have named it.
                return StepRunResult(outputs: ["file": .null, "old": .null, "new": .null, "changed": .null],
                                     summary: "would pin a processor (named by an earlier step) in \(step.relative(registry))", changed: false)
            }
            let processor = try ProcessorRef(processorText)
            file = try RegistryFile.load(processor, in: registry)
            what = processor.description
        }
        let shown = step.relative(file.path)

        // What goes where: one key (image.oci by default), or several.
        var texts: [String: String?] = [:]
        if hasPins {
            guard let pins = w["pins"]?.objectValue else { throw ResponseError.invalidInput("with.pins", "a map from dotted path to ref") }
            for (k, v) in pins { texts[k] = v.stringValue }
        } else {
            texts[w["key"]?.stringValue ?? RegistryFile.defaultKey] = w["ref"]?.stringValue
        }
        let keys = texts.keys.sorted()
        for k in keys where file.node(at: k)?.scalar == nil {
            throw k == RegistryFile.defaultKey ? RegistryFileError.noImage(file: shown) : RegistryFileError.noKey(file: shown, key: k)
        }
        let olds = Dictionary(uniqueKeysWithValues: keys.map { ($0, file.value(at: $0)) })
        func shape(_ m: [String: String?]) -> JSONValue {
            hasPins ? .object(m.mapValues { $0.map(JSONValue.string) ?? .null }) : (m.values.first.flatMap { $0 }.map(JSONValue.string) ?? .null)
        }
        guard !texts.values.contains(where: { $0 == nil }) else {
            // A dry run: the digests come from a push that did not run.
            return StepRunResult(outputs: ["file": .string(shown), "old": shape(olds), "new": .null, "changed": .null],
                                 summary: keys == [RegistryFile.defaultKey] ? "would pin \(what) in \(shown) to the digest an earlier step reports"
                                    : "would pin \(keys.joined(separator: ", ")) of \(what) in \(shown) to the digests an earlier step reports", changed: false)
        }
        var refs: [String: ImageReference] = [:]
        for k in keys { refs[k] = try ImageReference(texts[k]!!) }
        let news = refs.mapValues { Optional($0.description) }
        var outputs: [String: JSONValue] = ["file": .string(shown), "old": shape(olds), "new": shape(news)]
        let toChange = keys.filter { olds[$0]! != refs[$0]!.description }
        if toChange.isEmpty {
            outputs["changed"] = false
            return StepRunResult(outputs: outputs, summary: "\(shown) already pins \(keys.joined(separator: ", "))", changed: false)
        }
        let updated = try file.replacing(refs)
        outputs["changed"] = true
        if step.isDryRun {
            return StepRunResult(outputs: outputs, summary: "would pin \(toChange.joined(separator: ", ")) of \(what) in \(shown)", changed: false)
        }
        try RegistryFile.writeAtomically(updated, to: file.path)
        // Read it back: the file must now say exactly each ref, and parse as before.
        let reread = try RegistryFile(path: file.path)
        for k in keys where reread.value(at: k) != refs[k]!.description {
            throw RegistryFileError.verifyFailed(file: shown, expected: refs[k]!.description, found: reread.value(at: k) ?? "(nothing)")
        }
        for k in toChange { step.log("\(shown): \(k) \((olds[k] ?? nil) ?? "(none)") -> \(refs[k]!)") }
        let digests = toChange.map { "\($0) \(refs[$0]!.digest.prefix(19))…" }.joined(separator: ", ")
        return StepRunResult(outputs: outputs, summary: "pinned \(what) in \(shown): \(digests)")
    }
}

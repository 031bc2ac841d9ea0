import Foundation
import StepProtocol
import Testing

/// pin-digest on registry files in the real format: only image.oci changes, byte for byte.
@Suite("pin-digest", .timeLimit(.minutes(1)))
struct PinDigestTests {
    static let digestA = "sha256:" + String(repeating: "a1", count: 32)
    static let digestB = "sha256:" + String(repeating: "b2", count: 32)

    static let file = """
    # The LiteLLM processor.
    name: llm/litellm@1
    image:
      oci: ghcr.io/acme/llm_litellm@\(digestA)   # pinned by CI
    build:
      context: .
      dockerfile: apps/core/processors/llm_litellm/Dockerfile
    runtime: {cpu: "1", memory_gb: 2, timeout_s: 60}
    secrets:
      required: [OPENAI_API_KEY]

    """

    func workspace(_ name: String = "llm_litellm.yaml", _ text: String = file) -> String {
        let dir = TestSupport.tempDir("pin")
        TestSupport.write("\(dir)/Registry/processors/\(name)", text)
        return dir
    }

    func pin(_ dir: String, processor: String = "llm/litellm@1", ref: String, dryRun: Bool = false) async throws -> PluginCall.Outcome {
        var call = PluginCall(plugin: "pin-digest", with: ["processor": .string(processor), "ref": .string(ref)], workspace: dir)
        call.dryRun = dryRun
        return try await call.send()
    }

    @Test("changes only the image.oci value: comments, flow maps, order and the trailing newline stay")
    func onlyTheValue() async throws {
        let dir = workspace()
        let o = try await pin(dir, ref: "ghcr.io/acme/llm_litellm@\(Self.digestB)")
        #expect(o.error == nil, "\(o.transcript)")
        let after = try String(contentsOfFile: "\(dir)/Registry/processors/llm_litellm.yaml", encoding: .utf8)
        #expect(after == Self.file.replacingOccurrences(of: Self.digestA, with: Self.digestB))
        #expect(o.outputs["changed"] == true)
        #expect(o.outputs["old"]?.stringValue == "ghcr.io/acme/llm_litellm@\(Self.digestA)")
        #expect(o.outputs["file"]?.stringValue == "Registry/processors/llm_litellm.yaml")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/Registry/processors")
        #expect(leftovers == ["llm_litellm.yaml"], "no temporary file is left behind")
    }

    @Test("a tag becomes a digest; ref: files; quoting is kept", arguments: [
        ("  oci: ghcr.io/acme/x:latest\n", "  oci: ghcr.io/acme/x@\(digestB)\n"),
        ("  oci: \"ghcr.io/acme/x:latest\"\n", "  oci: \"ghcr.io/acme/x@\(digestB)\"\n"),
        ("  oci: 'ghcr.io/acme/x:v1'\n", "  oci: 'ghcr.io/acme/x@\(digestB)'\n"),
    ])
    func styles(before: String, after: String) async throws {
        let head = "ref: replicate/generic@1\nruntime:\n  cpu: 1\nimage:\n"
        let tail = "build:\n  context: .\n"
        let dir = workspace("replicate_generic.yaml", head + before + tail)
        let o = try await pin(dir, processor: "replicate/generic@1", ref: "ghcr.io/acme/x@\(Self.digestB)")
        #expect(o.error == nil, "\(o.transcript)")
        #expect(try String(contentsOfFile: "\(dir)/Registry/processors/replicate_generic.yaml", encoding: .utf8) == head + after + tail)
    }

    @Test("already pinned: changed false, and the file is not rewritten")
    func unchanged() async throws {
        let dir = workspace()
        let path = "\(dir)/Registry/processors/llm_litellm.yaml"
        let before = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int
        let o = try await pin(dir, ref: "ghcr.io/acme/llm_litellm@\(Self.digestA)")
        #expect(o.outputs["changed"] == false)
        #expect(o.result?.changed == false)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int == before, "same inode: not replaced")
    }

    @Test("the file mode is kept across the atomic replace")
    func modeKept() async throws {
        let dir = workspace()
        let path = "\(dir)/Registry/processors/llm_litellm.yaml"
        chmod(path, 0o640)
        _ = try await pin(dir, ref: "ghcr.io/acme/llm_litellm@\(Self.digestB)")
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o640)
    }

    @Test("a dry run reports the change and writes nothing")
    func dryRun() async throws {
        let dir = workspace()
        let o = try await pin(dir, ref: "ghcr.io/acme/llm_litellm@\(Self.digestB)", dryRun: true)
        #expect(o.outputs["changed"] == true)
        #expect(try String(contentsOfFile: "\(dir)/Registry/processors/llm_litellm.yaml", encoding: .utf8) == Self.file)
    }

    @Test("null for an output no dry run can know: accepted in a dry run, refused (-32602) in a real one")
    func nullInDryRun() async throws {
        let dir = workspace()
        var call = PluginCall(plugin: "pin-digest", with: ["processor": "llm/litellm@1", "ref": .null], workspace: dir)
        call.dryRun = true
        let dry = try await call.send()
        #expect(dry.result?.summary == "would pin llm/litellm@1 in Registry/processors/llm_litellm.yaml to the digest an earlier step reports",
                "\(dry.transcript)")
        #expect(dry.outputs["old"]?.stringValue == "ghcr.io/acme/llm_litellm@\(Self.digestA)")
        call.dryRun = false
        let real = try await call.send()
        #expect(real.error?.code == .invalidParams, "\(real.transcript)")
        #expect(try String(contentsOfFile: "\(dir)/Registry/processors/llm_litellm.yaml", encoding: .utf8) == Self.file)
    }

    @Test("bad inputs fail and name the problem", arguments: [
        ("llm/litellm@1", "ghcr.io/acme/x:latest", "not pinned"),
        ("llm/litellm@1", "ghcr.io/acme/x@sha256:ABC", "64 lowercase"),
        ("llm/litellm@1", "ghcr.io/acme/x@sha256:" + String(repeating: "A", count: 64), "64 lowercase"),
        ("llm/other@1", "ghcr.io/acme/x@\(digestB)", "no such registry file"),
        ("LLM", "ghcr.io/acme/x@\(digestB)", "not a processor reference"),
    ])
    func badInputs(processor: String, ref: String, expected: String) async throws {
        let dir = workspace()
        let o = try await pin(dir, processor: processor, ref: ref)
        #expect(o.error?.message.contains(expected) == true, "\(o.transcript)")
        #expect(try String(contentsOfFile: "\(dir)/Registry/processors/llm_litellm.yaml", encoding: .utf8) == Self.file)
    }

    @Test("a file whose name: is another processor is refused with its line")
    func wrongName() async throws {
        let dir = workspace("llm_litellm.yaml", "name: llm/litellm@2\nimage:\n  oci: x\n")
        let o = try await pin(dir, ref: "ghcr.io/acme/x@\(Self.digestB)")
        #expect(o.error?.message.contains("llm_litellm.yaml:1: the file is for 'llm/litellm@2'") == true, "\(o.transcript)")
    }

    @Test("a file without image.oci is an error with a hint")
    func noImage() async throws {
        let dir = workspace("llm_litellm.yaml", "name: llm/litellm@1\nbuild: {}\n")
        let o = try await pin(dir, ref: "ghcr.io/acme/x@\(Self.digestB)")
        #expect(o.error?.message.contains("no image.oci") == true, "\(o.transcript)")
        #expect(o.error?.hint != nil)
    }

    /// A tool's registry file as the first pipeline's project keeps it today: beside its code, one digest per platform.
    static let platformsFile = """
    ref: llm/litellm@2
    image:
      platforms:
        amd64: ghcr.io/acme/llm-litellm@\(digestA)   # linux/amd64
        arm64: "ghcr.io/acme/llm-litellm@\(digestA)"
    runtime: {cpu: "1"}

    """

    @Test("file, key and pins: several digests at once in a registry.yaml beside the code, every other byte kept; never a new key")
    func platformPins() async throws {
        let dir = TestSupport.tempDir("pins")
        let path = "tools/llm/litellm/2/registry.yaml"
        TestSupport.write("\(dir)/\(path)", Self.platformsFile)
        let amd = "ghcr.io/acme/llm-litellm@\(Self.digestB)", arm = "ghcr.io/acme/llm-litellm@sha256:" + String(repeating: "c3", count: 32)
        let o = try await PluginCall(plugin: "pin-digest", with: ["file": .string(path),
                                                                 "pins": ["image.platforms.amd64": .string(amd), "image.platforms.arm64": .string(arm)]],
                                     workspace: dir).send()
        #expect(o.error == nil, "\(o.transcript)")
        let expected = Self.platformsFile.replacingOccurrences(of: "amd64: ghcr.io/acme/llm-litellm@\(Self.digestA)", with: "amd64: \(amd)")
            .replacingOccurrences(of: "arm64: \"ghcr.io/acme/llm-litellm@\(Self.digestA)\"", with: "arm64: \"\(arm)\"")
        #expect(try String(contentsOfFile: "\(dir)/\(path)", encoding: .utf8) == expected, "byte for byte, quoting kept")
        #expect(o.outputs["new"] == ["image.platforms.amd64": .string(amd), "image.platforms.arm64": .string(arm)])
        #expect(o.outputs["old"]?["image.platforms.amd64"] == .string("ghcr.io/acme/llm-litellm@\(Self.digestA)") && o.outputs["changed"] == true)

        let again = try await PluginCall(plugin: "pin-digest", with: ["file": .string(path), "key": "image.platforms.arm64", "ref": .string(arm)],
                                         workspace: dir).send()
        #expect(again.outputs["changed"] == false && again.outputs["new"] == .string(arm), "\(again.transcript)")

        let missing = try await PluginCall(plugin: "pin-digest", with: ["file": .string(path), "key": "image.platforms.riscv64", "ref": .string(arm)],
                                           workspace: dir).send()
        #expect(missing.error?.message.contains("no value at image.platforms.riscv64") == true && missing.error?.message.contains("never adds keys") == true,
                "\(missing.transcript)")
        #expect(try String(contentsOfFile: "\(dir)/\(path)", encoding: .utf8) == expected, "a refused pin changes nothing")
        let both = try await PluginCall(plugin: "pin-digest", with: ["file": .string(path), "processor": "llm/litellm@2", "ref": .string(arm)],
                                        workspace: dir).send()
        #expect(both.error?.code == .invalidParams, "\(both.transcript)")
    }
}

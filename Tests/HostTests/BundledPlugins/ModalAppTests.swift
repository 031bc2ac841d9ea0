import Foundation
import StepProtocol
import Testing

/// Registry/modal_app.py imported with the real `modal` package, offline: the App it builds
/// has the functions, images, secrets and limits the variables and registry files say.
@Suite("Registry/modal_app.py", .timeLimit(.minutes(2)), .enabled(if: FakeModal.canDeploy || TestSupport.inCI, "needs the modal package: pip install 'modal<1.7'"))
struct ModalAppTests {
    static let digest = "sha256:" + String(repeating: "c3", count: 32)

    /// Imports the module with `env` and returns what its App defines (Tests/Fixtures/fake-modal/modal_inspect.py).
    func describe(_ env: [String: String]) async throws -> TestSupport.Result {
        let script = """
            import json, sys
            sys.path[:0] = [sys.argv[1], sys.argv[2]]
            import modal_app, modal_inspect
            print(json.dumps(modal_inspect.describe(modal_app.app)))
            """
        var clean = ["PROCESSOR_REF": "", "IMAGE_REF": "", "TOOL_SECRETS": "", "REGISTRY_DIR": "", "MODAL_APP_NAME": "",
                     "TIMEOUT_S": "", "CPU": "", "MEMORY_MIB": "", "GPU": ""]
        for (k, v) in env { clean[k] = v }
        return try await TestSupport.run(["python3", "-W", "ignore", "-c", script, "\(TestSupport.repoRoot)/Registry", "\(TestSupport.repoRoot)/Tests/Fixtures/fake-modal"],
                                         cwd: TestSupport.tempDir("modal-app"), env: clean)
    }

    @Test("one processor from the variables: exec__llm_litellm__v1 in theory-rt, its pinned image pulled with REGISTRY_AUTH, its secrets and limits")
    func oneFunction() async throws {
        let r = try await describe(["PROCESSOR_REF": "llm/litellm@1", "IMAGE_REF": "ghcr.io/acme/llm_litellm@\(Self.digest)",
                                    "TOOL_SECRETS": "OPENAI_API_KEY,LITELLM_API_BASE", "TIMEOUT_S": "60", "CPU": "1.5", "MEMORY_MIB": "2048", "GPU": "T4"])
        #expect(r.code == 0, "\(r.stderr)")
        let app = try JSONParser.parse(r.stdout)
        #expect(app["app"] == "theory-rt")
        #expect(app["functions"]?.objectValue?.keys.sorted() == ["exec__llm_litellm__v1"])
        let fn = app["functions"]?["exec__llm_litellm__v1"]
        #expect(fn?["image"] == .string("ghcr.io/acme/llm_litellm@\(Self.digest)"))
        #expect(fn?["registry_secret"] == "REGISTRY_AUTH")
        #expect(fn?["secrets"] == ["OPENAI_API_KEY", "LITELLM_API_BASE"])
        #expect(fn?["cpu"] == 1.5 && fn?["memory"] == 2048 && fn?["timeout"] == 60)
        #expect(fn?["gpu"]?.stringValue?.contains("T4") == true)
    }

    @Test("the whole registry: one function per file of Registry/processors, each with the image its file pins")
    func wholeRegistry() async throws {
        let dir = "\(TestSupport.repoRoot)/Registry/processors"
        let r = try await describe(["REGISTRY_DIR": dir, "MODAL_APP_NAME": "theory-rt-test"])
        #expect(r.code == 0, "\(r.stderr)")
        let app = try JSONParser.parse(r.stdout)
        #expect(app["app"] == "theory-rt-test")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yaml") }
        #expect(app["functions"]?.objectValue?.count == files.count)
        for f in files {
            let text = try String(contentsOfFile: "\(dir)/\(f)", encoding: .utf8)
            let ref = text.split(separator: "\n").first { $0.hasPrefix("name:") || $0.hasPrefix("ref:") }.map { String($0.split(separator: " ")[1]) } ?? ""
            let image = text.split(separator: "\n").first { $0.hasPrefix("  oci:") }.map { String($0.split(separator: " ").last ?? "") }
            let (name, version) = (ref.split(separator: "@")[0].replacingOccurrences(of: "/", with: "_"), ref.split(separator: "@")[1])
            #expect(app["functions"]?["exec__\(name)__v\(version)"]?["image"] == image.map(JSONValue.string), "\(f)")
        }
    }

    @Test("an image given by tag stops the import with a message to pin it")
    func refusesTags() async throws {
        let r = try await describe(["PROCESSOR_REF": "llm/litellm@1", "IMAGE_REF": "ghcr.io/acme/llm_litellm:latest"])
        #expect(r.code != 0)
        #expect(r.stderr.contains("is not pinned to a digest"), "\(r.stderr)")
    }
}

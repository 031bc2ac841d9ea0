import Foundation
import StepProtocol
import Testing

/// ghcr-push against Debian's real docker-registry, and GHCR's token flow and
/// error bodies from a fake in front of it. Pushes are checked with skopeo and the registry API.
@Suite("ghcr-push", .timeLimit(.minutes(3)), .enabled(if: LocalService.haveRegistry || TestSupport.inCI, "needs docker-registry (apt-get install docker-registry)"))
struct GHCRPushTests {
    func push(_ layout: String, image: String, secrets: [String: String] = [:], tags: [String]? = nil) async throws -> PluginCall.Outcome {
        var with: [String: JSONValue] = ["layout": .string(layout), "image": .string(image), "insecure": true]
        if let tags { with["tags"] = .array(tags.map(JSONValue.string)) }
        return try await PluginCall(plugin: "ghcr-push", with: with, workspace: TestSupport.tempDir("ws"), secrets: secrets).send()
    }

    /// What skopeo reads back from the registry: the manifest digest of `image:tag`.
    func inspect(_ ref: String, creds: String? = nil) async throws -> String? {
        var argv = ["skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}"]
        if let creds { argv += ["--creds", creds] }
        let r = try await TestSupport.run(argv + ["docker://\(ref)"], cwd: "/tmp")
        return r.code == 0 ? r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }

    @Test("pushes blobs and manifest under each tag; the digest is the one the registry serves; a second push uploads nothing")
    func pushAndRepeat() async throws {
        let registry = try await LocalService.registry()
        defer { registry.stop() }
        let (layout, digest) = try TestLayout.make(layers: ["layer one", "layer two"], tags: ["v1", "latest"])
        let image = "\(registry.address)/demo/app"
        let first = try await push(layout, image: image)
        #expect(first.error == nil, "\(first.transcript)")
        #expect(first.outputs["digest"]?.stringValue == digest)
        #expect(first.outputs["ref"]?.stringValue == "\(image)@\(digest)")
        #expect(first.outputs["pushed"] == true)
        #expect(try await inspect("\(image):v1") == digest)
        #expect(try await inspect("\(image):latest") == digest)
        let progress = first.notifications.filter { $0["method"]?.stringValue == "progress" }
        #expect(progress.count == 3, "one progress notification per blob (2 layers + config)")

        let second = try await push(layout, image: image)
        #expect(second.outputs["pushed"] == false, "\(second.transcript)")
        #expect(second.result?.changed == false)
    }

    @Test("an image index: each platform's image is pushed by digest, then the index under the tag")
    func imageIndex() async throws {
        let registry = try await LocalService.registry()
        defer { registry.stop() }
        let (layout, digest) = try TestLayout.makeIndex(architectures: ["amd64", "arm64"])
        let image = "\(registry.address)/demo/multi"
        let o = try await push(layout, image: image)
        #expect(o.error == nil, "\(o.transcript)")
        #expect(o.outputs["digest"]?.stringValue == digest)
        let raw = try await TestSupport.run(["skopeo", "inspect", "--tls-verify=false", "--raw", "docker://\(image):multi"], cwd: "/tmp")
        let index = try JSONParser.parse(raw.stdout)
        #expect(index["manifests"]?.arrayValue?.compactMap { $0["platform"]?["architecture"]?.stringValue } == ["amd64", "arm64"], "\(raw.stderr)")
        var refs: [String: JSONValue] = [:]
        for child in index["manifests"]?.arrayValue ?? [] {
            let d = child["digest"]?.stringValue ?? ""
            #expect(try await inspect("\(image)@\(d)") == d, "child manifest \(d) is in the registry")
            if let arch = child["platform"]?["architecture"]?.stringValue { refs[arch] = .string("\(image)@\(d)") }
        }
        #expect(o.outputs["refs"] == .object(refs) && refs.count == 2, "refs: each platform's manifest: \(o.outputs["refs"] ?? .null)")
    }

    @Test("only the tags asked for are pushed; an unknown tag is an error listing the layout's tags")
    func tags() async throws {
        let registry = try await LocalService.registry()
        defer { registry.stop() }
        let (layout, digest) = try TestLayout.make(layers: ["x"], tags: ["a", "b"])
        let image = "\(registry.address)/demo/tags"
        let o = try await push(layout, image: image, tags: ["b"])
        #expect(o.error == nil, "\(o.transcript)")
        #expect(try await inspect("\(image):b") == digest)
        #expect(try await inspect("\(image):a") == nil)
        let bad = try await push(layout, image: image, tags: ["nope"])
        #expect(bad.error?.message.contains("no image tagged 'nope' (the layout has: a, b)") == true, "\(bad.transcript)")
    }

    @Test("Basic auth: right credentials push; wrong ones fail with UNAUTHORIZED and a hint about the credentials")
    func basicAuth() async throws {
        let registry = try await LocalService.registry(user: ("ci", "s3cret-pass"))
        defer { registry.stop() }
        let (layout, digest) = try TestLayout.make(layers: ["basic"])
        let image = "\(registry.address)/demo/basic"
        let ok = try await push(layout, image: image, secrets: ["REGISTRY_USERNAME": "ci", "REGISTRY_PASSWORD": "s3cret-pass"])
        #expect(ok.error == nil, "\(ok.transcript)")
        #expect(try await inspect("\(image):v1", creds: "ci:s3cret-pass") == digest)
        let bad = try await push(layout, image: image, secrets: ["REGISTRY_USERNAME": "ci", "REGISTRY_PASSWORD": "wrong-pass"])
        #expect(bad.error?.message.contains("401") == true, "\(bad.transcript)")
        #expect(bad.error?.hint?.contains("REGISTRY_USERNAME") == true)
        #expect(!bad.transcript.contains("wrong-pass"))
    }

    @Test("GHCR's Bearer flow: challenge, token from the realm with Basic credentials, then the push; the token is masked")
    func bearer() async throws {
        let registry = try await LocalService.registry()
        defer { registry.stop() }
        let ghcr = try await LocalService.fake("registry", arguments: [registry.address], env: ["FAKE_USER": "octo", "FAKE_PASSWORD": "ghp_fakeToken123"])
        defer { ghcr.stop() }
        let (layout, digest) = try TestLayout.make(layers: ["bearer layer"])
        let image = "\(ghcr.address)/octo/app"
        let o = try await push(layout, image: image, secrets: ["REGISTRY_USERNAME": "octo", "REGISTRY_PASSWORD": "ghp_fakeToken123"])
        #expect(o.error == nil, "\(o.transcript)")
        #expect(try await inspect("\(registry.address)/octo/app:v1") == digest, "the push reached the registry behind the token service")
        let requests = ghcr.requests()
        let tokenRequests = requests.filter { $0["path"]?.stringValue == "/token" }
        #expect(tokenRequests.count == 1, "one token for the whole push")
        #expect(tokenRequests.first?["query"]?["scope"]?.arrayValue?.first?.stringValue == "repository:octo/app:pull,push")
        #expect(tokenRequests.first?["query"]?["service"]?.arrayValue?.first?.stringValue == "fake-ghcr")
        #expect(tokenRequests.first?["authorization"]?.stringValue == "Basic " + Data("octo:ghp_fakeToken123".utf8).base64EncodedString())
        let uploads = requests.filter { $0["method"]?.stringValue == "PUT" && $0["path"]?.stringValue?.contains("/blobs/uploads/") == true }
        #expect(uploads.allSatisfy { $0["query"]?["digest"] != nil && $0["query"]?["_state"] != nil },
                "PUT keeps the Location's query string and adds digest=")
        let manifestPut = requests.first { $0["method"]?.stringValue == "PUT" && $0["path"]?.stringValue == "/v2/octo/app/manifests/v1" }
        #expect(manifestPut?["contentType"]?.stringValue == "application/vnd.oci.image.manifest.v1+json")
        let token = requests.last?["authorization"]?.stringValue?.replacingOccurrences(of: "Bearer ", with: "") ?? ""
        #expect(token.hasPrefix("tok-"))
        #expect(!o.transcript.contains(token), "the bearer token never appears in the plugin's output")
    }

    @Test("GHCR's answer to a token without write:packages: DENIED with a hint about the token's scope and the package's access")
    func denied() async throws {
        let registry = try await LocalService.registry()
        defer { registry.stop() }
        let ghcr = try await LocalService.fake("registry", arguments: [registry.address],
                                              env: ["FAKE_USER": "octo", "FAKE_PASSWORD": "pw-1234", "FAKE_DENY_PUSH": "1"])
        defer { ghcr.stop() }
        let (layout, _) = try TestLayout.make(layers: ["denied"])
        let o = try await push(layout, image: "\(ghcr.address)/octo/app", secrets: ["REGISTRY_USERNAME": "octo", "REGISTRY_PASSWORD": "pw-1234"])
        #expect(o.error?.message.contains("DENIED: permission_denied: write_package") == true, "\(o.transcript)")
        #expect(o.error?.hint?.contains("write:packages") == true)
    }

    @Test("registry error codes come back with their message and a hint", arguments: [
        ("NAME_UNKNOWN", "check the image input"), ("DIGEST_INVALID", "rebuild the layout"), ("MANIFEST_BLOB_UNKNOWN", "the layout is incomplete"),
    ])
    func errorCodes(code: String, hint: String) async throws {
        let registry = try await LocalService.registry()
        defer { registry.stop() }
        let ghcr = try await LocalService.fake("registry", arguments: [registry.address],
                                              env: ["FAKE_USER": "octo", "FAKE_PASSWORD": "pw-1234", "FAKE_MANIFEST_ERROR": code])
        defer { ghcr.stop() }
        let (layout, _) = try TestLayout.make(layers: ["codes"])
        let o = try await push(layout, image: "\(ghcr.address)/octo/app", secrets: ["REGISTRY_USERNAME": "octo", "REGISTRY_PASSWORD": "pw-1234"])
        #expect(o.error?.message.contains("PUT manifest v1: HTTP") == true && o.error?.message.contains(code) == true, "\(o.transcript)")
        #expect(o.error?.hint?.contains(hint) == true, "\(o.error?.hint ?? "no hint")")
    }

    @Test("a registry that stores the manifest under another digest than the one computed here fails the step")
    func digestMismatch() async throws {
        let registry = try await LocalService.registry()
        defer { registry.stop() }
        let ghcr = try await LocalService.fake("registry", arguments: [registry.address],
                                              env: ["FAKE_USER": "octo", "FAKE_PASSWORD": "pw-1234", "FAKE_WRONG_DIGEST": "1"])
        defer { ghcr.stop() }
        let (layout, digest) = try TestLayout.make(layers: ["mismatch"])
        let o = try await push(layout, image: "\(ghcr.address)/octo/app", secrets: ["REGISTRY_USERNAME": "octo", "REGISTRY_PASSWORD": "pw-1234"])
        #expect(o.error?.message == "the registry stored tag v1 as sha256:\(String(repeating: "e", count: 64)), but its manifest's digest is \(digest)",
                "\(o.transcript)")
    }

    @Test("runbook row 1: a wrong registry password (invalid username/password) fails with the runbook's hint")
    func wrongPassword() async throws {
        let registry = try await LocalService.registry()
        defer { registry.stop() }
        let ghcr = try await LocalService.fake("registry", arguments: [registry.address], env: ["FAKE_USER": "octo", "FAKE_PASSWORD": "pw-1234"])
        defer { ghcr.stop() }
        let (layout, _) = try TestLayout.make(layers: ["denied"])
        let o = try await push(layout, image: "\(ghcr.address)/octo/app", secrets: ["REGISTRY_USERNAME": "octo", "REGISTRY_PASSWORD": "wrong-pw-999"])
        let hint = o.error?.hint ?? ""
        #expect(o.error != nil && hint.contains("registry password secret") && hint.contains("read:packages") && hint.contains("write:packages"),
                "\(o.transcript)")
        #expect(!o.transcript.contains("wrong-pw-999"))
    }

    @Test("no credentials for a registry that wants them: UNAUTHORIZED says none were granted")
    func noCredentials() async throws {
        let registry = try await LocalService.registry()
        defer { registry.stop() }
        let ghcr = try await LocalService.fake("registry", arguments: [registry.address], env: ["FAKE_USER": "octo", "FAKE_PASSWORD": "pw-1234"])
        defer { ghcr.stop() }
        let (layout, _) = try TestLayout.make(layers: ["anon"])
        let o = try await push(layout, image: "\(ghcr.address)/octo/app")
        #expect(o.error?.message.contains("no REGISTRY_USERNAME/REGISTRY_PASSWORD granted") == true, "\(o.transcript)")
        #expect(o.error?.hint?.contains("credentials") == true)
    }

    @Test("a corrupt blob in the layout is refused before anything is uploaded")
    func corruptBlob() async throws {
        let registry = try await LocalService.registry()
        defer { registry.stop() }
        let (layout, _) = try TestLayout.make(layers: ["good bytes"])
        let hex = SHA256.hex(Array("good bytes".utf8))
        try Data("bad bytes!".utf8).write(to: URL(fileURLWithPath: "\(layout)/blobs/sha256/\(hex)"))
        let o = try await push(layout, image: "\(registry.address)/demo/corrupt")
        #expect(o.error?.message.contains("the layout is corrupt") == true, "\(o.transcript)")
        #expect(try await inspect("\(registry.address)/demo/corrupt:v1") == nil)
    }

    @Test("a registry that is not there: a clear error, marked retryable")
    func unreachable() async throws {
        let (layout, _) = try TestLayout.make(layers: ["x"])
        let o = try await push(layout, image: "127.0.0.1:\(LocalService.freePort())/demo/app")
        #expect(o.error?.message.contains("cannot reach http://127.0.0.1") == true, "\(o.transcript)")
        #expect(o.error?.retryable == true)
    }

    @Test("a dry run computes the digest and contacts no registry")
    func dryRun() async throws {
        let (layout, digest) = try TestLayout.make(layers: ["x"])
        var call = PluginCall(plugin: "ghcr-push", with: ["layout": .string(layout), "image": "127.0.0.1:1/demo/app", "insecure": true],
                              workspace: TestSupport.tempDir("ws"))
        call.dryRun = true
        let o = try await call.send()
        #expect(o.outputs["digest"]?.stringValue == digest, "\(o.transcript)")
        #expect(o.outputs["pushed"] == false)
    }
}

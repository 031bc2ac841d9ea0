import Foundation
import StepProtocol
import Testing

/// `stephost schema manifest|descriptor`, read by an independent validator (Python's jsonschema,
/// the manifests parsed by ruamel.yaml): every manifest of the repository valid, every manifest the
/// host refuses for its shape refused by the schema too.
@Suite("schema manifest and descriptor, checked by jsonschema", .timeLimit(.minutes(3)))
struct SchemaTests {
    /// Validates YAML files against a schema file; prints `FILE<TAB>ERRORS` per file.
    static let validator = """
        import json, sys, jsonschema
        from ruamel.yaml import YAML
        schema = json.load(open(sys.argv[1]))
        jsonschema.Draft7Validator.check_schema(schema)
        v = jsonschema.Draft7Validator(schema)
        for f in sys.argv[2:]:
            doc = YAML(typ='safe').load(open(f))
            errors = [e.message[:160] for e in v.iter_errors(doc)]
            print(f + "\\t" + json.dumps(errors))
        """

    func validate(_ schema: String, _ files: [String], cwd: String) async throws -> [String: [String]] {
        TestSupport.write("\(cwd)/schema.json", schema)
        TestSupport.write("\(cwd)/validate.py", Self.validator)
        let r = try await TestSupport.run(["python3", "\(cwd)/validate.py", "\(cwd)/schema.json"] + files, cwd: cwd)
        #expect(r.code == 0, "\(r.stderr)")
        var out: [String: [String]] = [:]
        for line in r.stdout.split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1)
            guard parts.count == 2 else { continue }
            out[String(parts[0])] = (try? JSONParser.parse(String(parts[1])))?.arrayValue?.compactMap(\.stringValue) ?? []
        }
        return out
    }

    @Test("every manifest in the repository is valid against schema manifest; plugins.d against schema descriptor")
    func repositoryManifests() async throws {
        let dir = TestSupport.tempDir("schema")
        let schema = try await TestSupport.stephost(["schema", "manifest"], cwd: dir)
        #expect(schema.code == 0, "\(schema.stderr)")
        let parsed = try JSONParser.parse(schema.stdout)
        #expect(parsed["$schema"] == "http://json-schema.org/draft-07/schema#")
        let manifests = try await TestSupport.trackedFiles().filter { $0 == "stephost.yaml" || ($0.hasPrefix("examples/") && $0.hasSuffix("stephost.yaml")) }
        #expect(manifests.count >= 4, "\(manifests)")
        let results = try await validate(schema.stdout, manifests.map { "\(TestSupport.repoRoot)/\($0)" }, cwd: dir)
        #expect(results.count == manifests.count)
        for (file, errors) in results { #expect(errors.isEmpty, "\(file): \(errors)") }

        let descriptor = try await TestSupport.stephost(["schema", "descriptor"], cwd: dir)
        let descriptors = try FileManager.default.contentsOfDirectory(atPath: "\(TestSupport.repoRoot)/plugins.d").map { "\(TestSupport.repoRoot)/plugins.d/\($0)" }
        for (file, errors) in try await validate(descriptor.stdout, descriptors, cwd: dir) { #expect(errors.isEmpty, "\(file): \(errors)") }
        let bad = "\(dir)/bad-descriptor.yaml"
        TestSupport.write(bad, "name: x\ncommand: []\nsteps: [x]\nenvs: [A]\n")
        #expect(try await validate(descriptor.stdout, [bad], cwd: dir)[bad]?.count == 2, "an empty command and an unknown key")
    }

    /// Manifests `validate` refuses for their shape, each with what is wrong.
    static let refused: [(String, String)] = [
        ("an unknown top-level key", "workflow:\n  w: {steps: [{id: a, uses: exec, with: {run: 'true'}}]}\n"),
        ("no workflows", "env: {A: b}\n"),
        ("a step without an id", "workflows:\n  w:\n    steps:\n      - uses: exec\n        with: {run: 'true'}\n"),
        ("a step without uses", "workflows:\n  w:\n    steps:\n      - id: a\n"),
        ("an unknown step key", "workflows:\n  w:\n    steps:\n      - {id: a, uses: exec, need: [b], with: {run: 'true'}}\n"),
        ("an id with capitals", "workflows:\n  w:\n    steps:\n      - {id: Build, uses: exec, with: {run: 'true'}}\n"),
        ("needs not a list", "workflows:\n  w:\n    steps:\n      - {id: a, uses: exec, with: {run: 'true'}}\n      - {id: b, uses: exec, needs: {a: 1}, with: {run: 'true'}}\n"),
        ("retry.attempts 0", "workflows:\n  w:\n    steps:\n      - {id: a, uses: exec, retry: {attempts: 0}, with: {run: 'true'}}\n"),
        ("a timeout without a unit", "workflows:\n  w:\n    steps:\n      - {id: a, uses: exec, timeout: '90', with: {run: 'true'}}\n"),
        ("an unknown event", "workflows:\n  w:\n    on: {pushed: {}}\n    steps:\n      - {id: a, uses: exec, with: {run: 'true'}}\n"),
        ("max-parallel 0", "workflows:\n  w:\n    steps:\n      - {id: a, uses: exec, max-parallel: 0, with: {run: 'true'}}\n"),
        ("a kind of two words", "workflows:\n  w:\n    steps:\n      - {id: a, uses: exec, kind: 'build it', with: {run: 'true'}}\n"),
        ("a hint without match", "hints:\n  - {hint: look}\nworkflows:\n  w:\n    steps:\n      - {id: a, uses: exec, with: {run: 'true'}}\n"),
        ("a secret source that is neither env: nor file:", "environments:\n  dev:\n    secrets: {T: vault:x}\nworkflows:\n  w:\n    steps:\n      - {id: a, uses: exec, with: {run: 'true'}}\n"),
        ("version 2", "version: 2\nworkflows:\n  w:\n    steps:\n      - {id: a, uses: exec, with: {run: 'true'}}\n"),
        ("continue-on-error not a boolean", "workflows:\n  w:\n    steps:\n      - {id: a, uses: exec, continue-on-error: sometimes, with: {run: 'true'}}\n"),
        ("with not a mapping", "workflows:\n  w:\n    steps:\n      - {id: a, uses: exec, with: [run]}\n"),
        ("a misspelt input of a bundled plugin", "workflows:\n  w:\n    steps:\n      - {id: a, uses: docker-build, with: {contxt: ., image: ghcr.io/a/b}}\n"),
        ("a wrong type for a bundled plugin's input", "workflows:\n  w:\n    steps:\n      - {id: a, uses: docker-build, with: {context: ., image: ghcr.io/a/b, reproducible: [yes]}}\n"),
        ("an environment key that is not vars or secrets", "environments:\n  dev:\n    variables: {A: b}\nworkflows:\n  w:\n    steps:\n      - {id: a, uses: exec, with: {run: 'true'}}\n"),
    ]

    @Test("every manifest the host refuses for its shape is refused by the schema too; expressions pass where inputs are typed")
    func refusedByBoth() async throws {
        let dir = TestSupport.tempDir("refused")
        let schema = try await TestSupport.stephost(["schema", "manifest"], cwd: dir)
        var files: [String] = []
        for (n, (what, text)) in Self.refused.enumerated() {
            let path = "\(dir)/m\(n).yaml"
            TestSupport.write(path, text)
            files.append(path)
            let v = try await TestSupport.stephost(["validate", "-f", path], cwd: dir)
            #expect(v.code == 2, "the host refuses \(what): \(v.output)")
        }
        let results = try await validate(schema.stdout, files, cwd: dir)
        for (n, (what, _)) in Self.refused.enumerated() {
            #expect(results[files[n]]?.isEmpty == false, "the schema refuses \(what)")
        }
        // What the host accepts: expressions where a plugin's input is a boolean or a list, anchors, x- blocks.
        let good = "\(dir)/good.yaml"
        TestSupport.write(good, """
            x-common: &common {uses: exec, timeout: 1m30s}
            env: {DEBUG: "false"}
            workflows:
              w:
                on: {push: {branches: [main]}, manual: {}}
                steps:
                  - {<<: *common, id: a, with: {run: 'true'}}
                  - id: b
                    uses: docker-build
                    needs: [a]
                    for-each: ${{ fromJSON('["x"]') }}
                    with: {context: ., image: ghcr.io/a/b, reproducible: "${{ env.DEBUG == 'false' }}", tags: ["${{ item }}", 1.10]}
            """)
        #expect(try await TestSupport.stephost(["validate", "-f", good], cwd: dir).code == 0)
        #expect(try await validate(schema.stdout, [good], cwd: dir)[good] == [], "the schema accepts what the host accepts")
    }

    @Test("schema manifest --plugins adds the plugins found for the manifest, so a misspelt input of one is flagged")
    func foundPlugins() async throws {
        let dir = TestSupport.tempDir("found")
        #expect(try await TestSupport.stephost(["plugin", "new", "greet", "--lang", "python"], cwd: dir).code == 0)
        let with = try await TestSupport.stephost(["schema", "manifest", "--plugins", "-f", "greet.example.yaml"], cwd: dir)
        let without = try await TestSupport.stephost(["schema", "manifest"], cwd: dir)
        #expect(with.code == 0 && with.stdout.contains(#""const": "greet""#) && !without.stdout.contains(#""const": "greet""#), "\(with.stderr)")
        let typo = "\(dir)/typo.yaml"
        TestSupport.write(typo, "workflows:\n  w:\n    steps:\n      - {id: a, uses: greet, with: {mesage: hi}}\n")
        let results = try await validate(with.stdout, ["\(dir)/greet.example.yaml", typo], cwd: dir)
        #expect(results["\(dir)/greet.example.yaml"] == [] && results[typo]?.isEmpty == false, "\(results)")
    }
}

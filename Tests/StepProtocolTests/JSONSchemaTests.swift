import Testing
import StepProtocol

@Suite("JSON Schema subset", .timeLimit(.minutes(3)))
struct JSONSchemaTests {
    let schema: JSONValue = [
        "type": "object", "required": ["context"], "additionalProperties": false,
        "properties": ["context": ["type": "string"], "tags": ["type": "array", "items": ["type": "string"]],
                       "backend": ["type": "string", "enum": ["docker", "buildah"]], "n": ["type": "integer"]],
    ]

    @Test("accepts valid inputs")
    func valid() {
        #expect(JSONSchema.validate(["context": "x", "tags": ["a"], "backend": "docker", "n": 2], schema: schema, path: "with").isEmpty)
    }

    @Test("reports each problem with its path")
    func problems() {
        let p = JSONSchema.validate(["tags": ["a", 1], "backend": "podman", "n": 1.5, "bogus": true], schema: schema, path: "with")
        let paths = Set(p.map(\.path))
        #expect(paths == ["with", "with.tags[1]", "with.backend", "with.n", "with.bogus"])
        #expect(p.contains { $0.message.contains("required input 'context'") })
        #expect(p.contains { $0.message.contains("unknown input 'bogus'") })
    }

    @Test("opaque values pass type checks")
    func opaque() {
        let p = JSONSchema.validate(["context": "${{ steps.a.outputs.x }}", "n": "${{ env.N }}"], schema: schema, path: "with",
                                    isOpaque: { $0.stringValue?.contains("${{") ?? false })
        #expect(p.isEmpty)
    }
}

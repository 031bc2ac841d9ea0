import StepManifest
import Testing

@Suite("Manifest loading and graph checks", .timeLimit(.minutes(3)))
struct ManifestTests {
    func problems(_ text: String) throws -> [String] { try ManifestLoader.parse(text, file: "m.yaml").1.map(\.description) }

    @Test("a valid manifest has no problems and keeps its steps in order")
    func valid() throws {
        let (m, p) = try ManifestLoader.parse("""
        env: {A: x}
        environments:
          dev: {vars: {T: 1}, secrets: {TOKEN: env:TOKEN_DEV, KEY: file:key.txt}}
        workflows:
          w:
            on: {push: {branches: [main], paths: ["src/**"]}, manual: {}}
            steps:
              - {id: a, uses: exec, with: {run: "true"}}
              - {id: b, uses: exec, timeout: 1m30s, retry: {attempts: 3, backoff: 2s, when: always}, secrets: [TOKEN]}
              - {id: c, uses: exec, needs: [], if: "${{ env.A == 'x' }}", secrets: {PLUGIN_NAME: KEY}}
        """, file: "m.yaml")
        #expect(p.isEmpty, "\(p)")
        let w = try #require(m.workflow(named: "w"))
        #expect(w.steps.map(\.id) == ["a", "b", "c"])
        #expect(w.triggers.map(\.event) == ["push", "manual"])
        #expect(w.steps[1].timeout.milliseconds == 90_000 && w.steps[1].retry.attempts == 3 && w.steps[1].retry.when == .always)
        #expect(w.steps[2].secrets.map(\.name) == ["PLUGIN_NAME"] && w.steps[2].secrets.map(\.source) == ["KEY"])
        #expect(m.environment(named: "dev")?.secrets.map(\.description) == ["env:TOKEN_DEV", "file:key.txt"])
        let g = WorkflowGraph(workflow: w, file: "m.yaml")
        #expect(g.dependencies == [[], [0], []])
    }

    @Test("reports every problem with its location", arguments: [
        ("workflows:\n  w:\n    steps:\n      - {id: a, uses: x, colour: red}\n", "m.yaml:4:26: unknown key 'colour' in a step"),
        ("workflows:\n  w:\n    steps:\n      - {id: A!, uses: x}\n", "m.yaml:4:14: step id 'A!' may contain only"),
        ("workflows:\n  w:\n    steps:\n      - {id: a, uses: x, needs: [b]}\n", "step 'a' needs 'b', which is not a step of workflow 'w'"),
        ("workflows:\n  w:\n    steps:\n      - {id: a, uses: x, needs: [b]}\n      - {id: b, uses: x, needs: [a]}\n", "form a cycle: b → a → b"),
        ("workflows:\n  w:\n    steps:\n      - {id: a, uses: x}\n      - {id: b, uses: x, needs: [], with: {v: '${{ steps.a.outputs.o }}'}}\n",
         "m.yaml:5:47: step 'b' reads steps.a in with.v but does not depend on it; add 'a' to its needs"),
        ("workflows:\n  w:\n    steps:\n      - {id: a, uses: x, timeout: 30}\n", "m.yaml:4:35: step 'a': timeout: duration '30' needs a unit"),
        ("workflows:\n  w:\n    steps:\n      - {id: a, uses: x, with: {v: '${{ item }}'}}\n", "step 'a' uses 'item' in with.v but has no for-each"),
        ("workflows:\n  w:\n    steps:\n      - {id: a, uses: x, if: '1 =='}\n", "step 'a': if:"),
        ("workflows:\n  w:\n    steps:\n      - {id: a, uses: x, environment: '${{ steps.x.outputs.e }}'}\n", "environment may use only literals, env.* and run.*"),
        ("workflows:\n  w:\n    steps:\n      - {id: a, uses: x}\n      - {id: a, uses: x}\n", "m.yaml:5:9: duplicate step id 'a'"),
        ("workflows:\n  w:\n    on: {tag: {}}\n    steps: []\n", "unknown event 'tag'"),
        ("environments:\n  dev: {secrets: {T: vault:x}}\nworkflows: {}\n", "the source must be env:VARIABLE or file:PATH"),
        ("bogus: 1\nworkflows: {}\n", "m.yaml:1:1: unknown key 'bogus' in the manifest"),
    ])
    func problem(_ text: String, _ expected: String) throws {
        let p = try problems(text)
        #expect(p.contains { $0.contains(expected) }, "got \(p)")
    }

    @Test("several problems are all reported")
    func many() throws {
        let p = try problems("workflows:\n  w:\n    steps:\n      - {id: a, uses: x, colour: red}\n      - {id: b, uses: x, needs: [zz]}\n      - {id: c, uses: x, timeout: 5}\n")
        #expect(p.count == 3, "\(p)")
    }

    @Test("YAML errors stop loading with FILE:LINE:COLUMN")
    func yamlError() {
        #expect { try ManifestLoader.parse("workflows:\n  w: *anchor\n", file: "m.yaml") } throws: { "\($0)".hasPrefix("m.yaml:2:6:") }
    }

    @Test("a problem inside a block shared with an anchor names where the alias stands and where the block was written")
    func problemThroughAlias() throws {
        let p = try problems("""
            x-defaults: &defaults
              uses: exec
              neds: [a]
            workflows:
              w:
                steps:
                  - {id: a, uses: exec, with: {run: 'true'}}
                  - {<<: *defaults, id: b, with: {run: 'true'}}
            """)
        #expect(p.contains { $0.hasPrefix("m.yaml:8:14: unknown key 'neds' in a step; did you mean 'needs'?") && $0.hasSuffix("(in the block anchored '&defaults' at 3:3)") }, "\(p)")
    }
}

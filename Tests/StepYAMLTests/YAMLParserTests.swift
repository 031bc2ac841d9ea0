import Foundation
import Testing
import StepProcess
import StepProtocol
import StepYAML

@Suite("YAML parser", .timeLimit(.minutes(3)))
struct YAMLParserTests {
    func json(_ text: String) throws -> JSONValue { try YAMLParser.parse(text, file: "t.yaml").json }

    func error(_ text: String) -> YAMLError? {
        do { _ = try YAMLParser.parse(text, file: "t.yaml"); return nil } catch { return error }
    }

    @Test("reads YAML 1.2 core schema scalars: no Norway problem, typed numbers")
    func scalars() throws {
        let v = try json("a: no\nb: yes\nc: on\nd: true\ne: ~\nf: 12\ng: 1.5\nh: 1.10\ni: '1'\nj:\n")
        #expect(v == ["a": "no", "b": "yes", "c": "on", "d": true, "e": nil, "f": 12, "g": 1.5, "h": 1.1, "i": "1", "j": nil])
    }

    @Test("keeps the source text of plain scalars")
    func sourceText() throws {
        let node = try YAMLParser.parse("tags: [1.10, 007]\n", file: "t.yaml")
        #expect(node["tags"]?.items?.map(\.scalar) == ["1.10", "007"])
        #expect(node["tags"]?.items?.allSatisfy(\.isPlain) == true)
    }

    @Test("reads block scalars with chomping and indentation indicators")
    func blockScalars() throws {
        let v = try json("a: |\n  x\n   y\n\nb: >-\n  p\n  q\n\n  r\nc: |+\n  k\n\nd: |2\n    z\n")
        #expect(v["a"] == "x\n y\n")
        #expect(v["b"] == "p q\nr")
        #expect(v["c"] == "k\n\n")
        #expect(v["d"] == "  z\n")
    }

    @Test("accepts JSON")
    func jsonInput() throws {
        #expect(try json(#"{"a": [1, {"b": null}], "c": "d"}"#) == ["a": [1, ["b": nil]], "c": "d"])
    }

    @Test("records where each node starts")
    func positions() throws {
        let n = try YAMLParser.parse("# c\nsteps:\n  - id: x\n    uses: y\n", file: "t.yaml")
        let step = n["steps"]?.items?.first
        #expect(step?["uses"]?.position == SourcePosition(line: 4, column: 11))
        #expect(step?.position == SourcePosition(line: 3, column: 5))
    }

    @Test("rejects what it does not support, at FILE:LINE:COLUMN", arguments: [
        ("a: *x\n", "1:4", "alias '*x' names no anchor"),
        ("a: &x 1\nb: &y *x\n", "2:7", "an alias cannot have an anchor"),
        ("a: &x &y 1\n", "1:7", "only one anchor"),
        ("a: !!str 1\n", "1:4", "tags"),
        ("a: 1\n---\nb: 2\n", "2:1", "several documents"),
        ("? a\n: b\n", "1:1", "complex"),
        ("a:\n\tb: 1\n", "2:1", "tab"),
        ("a: 1\nb: 2\na: 3\n", "3:1", "duplicate key 'a' (first at line 1)"),
        ("a: 1\n  b: 2\n", "2:3", "check the indentation"),
        ("a:\n  b: [1]\n   c: 2\n", "3:4", "unexpected indentation"),
        ("s:\n  - id: x\n    uses: y\n   with: z\n", "4:4", "between this sequence's entries (column 3) and the keys of the mapping above (column 5)"),
        ("a: 'open\n", "1:4", "unterminated"),
        ("a: [1, 2\n", "1:4", "unterminated"),
        ("a: b: c\n", "1:4", "mapping cannot start on the same line"),
        ("{a: 1}: x\n", "1:1", "complex"),
        ("%YAML 1.2\n---\na: 1\n", "1:1", "directives"),
        ("a:\n  - x\n  y: 1\n", "3:3", "expected"),
        ("a: \"\\q\"\n", "1:5", "unknown escape"),
        ("a: [1,\n2]\n", "2:1", "continuation line must be indented"),
        ("a: \"x\ny\"\n", "2:1", "continuation line must be indented"),
        ("a: [-]\n", "1:5", "cannot start a plain scalar"),
        ("- \"a\nb\": x\n", "1:3", "on one line"),
        (": x\n", "1:1", "a mapping key is missing"),
    ])
    func rejects(_ text: String, _ at: String, _ words: String) {
        guard let e = error(text) else { Issue.record("accepted \(text.debugDescription)"); return }
        #expect("\(e.position)" == at, "\(e)")
        #expect(e.message.contains(words), "\(e)")
        #expect(e.description.hasPrefix("t.yaml:\(at): "))
    }

    @Test("an empty document is null")
    func empty() throws {
        #expect(try json("") == .null)
        #expect(try json("# only a comment\n") == .null)
    }

    /// The corpus in Tests/StepYAMLTests/corpus must parse exactly as ruamel.yaml (YAML 1.2) parses it.
    @Test("agrees with ruamel.yaml on the corpus", .enabled(if: YAMLParserTests.ruamelAvailable || ProcessInfo.processInfo.environment["CI"] != nil))
    func corpus() async throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("corpus").path
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files.count >= 5)
        for f in files {
            let path = "\(dir)/\(f)"
            let mine = try YAMLParser.parse(String(contentsOfFile: path, encoding: .utf8), file: f).json
            let out = try await Command.run(["python3", "-c", YAMLParserTests.ruamelScript, path], cwd: dir)
            #expect(out.succeeded, "ruamel.yaml failed on \(f): \(out.stderr)")
            let theirs = try JSONParser.parse(out.stdout)
            #expect(mine == theirs, "\(f): stephost read \(mine.encoded())\nruamel.yaml read \(theirs.encoded())")
        }
    }

    static let ruamelScript = """
    import json, sys
    from ruamel.yaml import YAML
    print(json.dumps(YAML(typ='safe', pure=True).load(open(sys.argv[1], encoding='utf-8'))))
    """

    static var ruamelAvailable: Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import ruamel.yaml"]
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }
}

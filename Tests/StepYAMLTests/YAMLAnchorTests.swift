import Foundation
import Testing
import StepProtocol
import StepYAML

@Suite("YAML anchors, aliases and merge keys", .timeLimit(.minutes(1)))
struct YAMLAnchorTests {
    func parse(_ text: String) throws(YAMLError) -> YAMLNode { try YAMLParser.parse(text, file: "t.yaml") }

    func error(_ text: String) -> YAMLError? {
        do { _ = try parse(text); return nil } catch { return error }
    }

    @Test("an alias reads as a copy of the anchored node, in block and flow")
    func aliases() throws {
        let v = try parse("a: &x {k: [1, 2]}\nb: *x\nc: [*x, &s text, *s]\n&k key: *k\n").json
        #expect(v["b"] == ["k": [1, 2]])
        #expect(v["c"] == [["k": [1, 2]], "text", "text"])
        #expect(v["key"] == "key")
    }

    @Test("an anchor alone on its line belongs to the block below it")
    func anchorOnItsOwnLine() throws {
        let v = try parse("seq:\n &s\n- a\n- b\nmap: &m\n  k: v\ncopy: [*s, *m]\nempty: &e\nnull: *e\n").json
        #expect(v["copy"] == [["a", "b"], ["k": "v"]])
        #expect(v["null"] == .null)
    }

    @Test("merge keys: written keys win, then earlier merged mappings over later ones")
    func mergeKeys() throws {
        let v = try parse("""
            a: &a {x: 1, y: 1}
            b: &b {y: 2, z: 2}
            one:
              <<: *a
              x: 0
            many:
              <<: [*a, *b]
              w: 0
            flow: {<<: *b, z: 3}
            inline:
              <<: {q: 1}
            """).json
        #expect(v["one"] == ["x": 0, "y": 1])
        #expect(v["many"] == ["x": 1, "y": 1, "z": 2, "w": 0])
        #expect(v["flow"] == ["y": 2, "z": 3])
        #expect(v["inline"] == ["q": 1])
    }

    @Test("a key a merge brings in is not a duplicate; a key written twice is")
    func mergeDuplicates() throws {
        #expect(error("a: &a {x: 1}\nb:\n  <<: *a\n  x: 2\n") == nil)
        let e = try #require(error("a: &a {x: 1}\nb:\n  <<: *a\n  x: 2\n  x: 3\n"))
        #expect(e.message.contains("duplicate key 'x'"))
        #expect("\(e.position)" == "5:3")
    }

    @Test("a merge of something that is not a mapping is an error at its value")
    func mergeOfScalar() throws {
        let e = try #require(error("a: &a 1\nb:\n  <<: *a\n"))
        #expect(e.message.contains("merge key '<<' takes a mapping"))
        #expect(e.position.line == 3)
    }

    @Test("a node copied by an alias has the alias's position and names where it was written")
    func positionsThroughAliases() throws {
        let doc = try parse("base: &base\n  timeout: 20m\n  neds: [x]\nstep:\n  <<: *base\n  id: a\n")
        let pair = try #require(doc["step"]?.pairs?.first { $0.key.scalar == "neds" })
        #expect(pair.key.position.line == 5 && pair.key.position.column == 7)
        #expect(pair.key.position.anchor == AnchorOrigin(name: "base", line: 3, column: 3))
        let d = Diagnostic(file: "m.yaml", position: pair.key.position, message: "unknown key 'neds'")
        #expect(d.description == "m.yaml:5:7: unknown key 'neds' (in the block anchored '&base' at 3:3)")
    }

    @Test("a billion-laughs document is refused at the alias that passes the limit, quickly")
    func billionLaughs() throws {
        var text = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        var previous = "a"
        for name in ["b", "c", "d", "e", "f", "g", "h", "i"] {
            text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
            previous = name
        }
        let started = ContinuousClock.now
        let e = try #require(error(text))
        #expect(ContinuousClock.now - started < .seconds(5), "refusing must not expand the document")
        #expect(e.message.contains("more than 10000 nodes"), "\(e)")
        #expect(e.message.contains("anchor '&"), "the message names the anchor: \(e)")
        #expect(e.position.line == 4, "the alias that passed the limit: \(e)")
    }

    @Test("an alias that would nest deeper than the limit is refused")
    func deepThroughAliases() throws {
        let deep = String(repeating: "[", count: 150) + String(repeating: "]", count: 150)
        let wrap = String(repeating: "[", count: 60) + "*a" + String(repeating: "]", count: 60)
        let e = try #require(error("a: &a \(deep)\nb: \(wrap)\n"))
        #expect(e.message.contains("more than 200 deep"), "\(e)")
    }

    @Test("an alias to an anchor defined later, or never, names the alias")
    func unknownAnchor() throws {
        let e = try #require(error("a: *later\nb: &later 1\n"))
        #expect("\(e.position)" == "1:4")
        #expect(e.message.contains("define '&later' before it is used"))
    }

    @Test("a document over 16 MiB is refused before it is read")
    func documentSize() throws {
        let big = "a: \"" + String(repeating: "x", count: 16 << 20) + "\"\n"
        let e = try #require(error(big))
        #expect(e.message.contains("more than the 16 MiB"))
        #expect("\(e.position)" == "1:1")
    }
}

import Testing
import StepProtocol

@Suite("JSON values", .timeLimit(.minutes(3)))
struct JSONTests {
    @Test("parses and re-encodes every kind of value with sorted keys")
    func roundTrip() throws {
        let v = try JSONParser.parse(#"{"b":[1,2.5,-3e2,true,false,null],"a":"x\"y\\z\n\u00e9\ud83d\ude00"}"#)
        #expect(v["a"] == .string("x\"y\\z\né😀"))
        #expect(v["b"] == [1, 2.5, -300, true, false, nil])
        #expect(v.encoded() == #"{"a":"x\"y\\z\né😀","b":[1,2.5,-300,true,false,null]}"#)
        #expect(try JSONParser.parse(v.encoded()) == v)
    }

    @Test("rejects malformed JSON with the byte offset", arguments: ["", "{", "[1,]", "{\"a\" 1}", "tru", "01", "\"\u{01}\"", "[1] x", "1.", "-", "1e999", "[-9e400]"])
    func rejects(_ text: String) {
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(text) }
    }

    @Test("limits nesting depth instead of overflowing the stack")
    func depth() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(deep) }
    }

    @Test("integers print without a fraction and control characters are escaped")
    func numbersAndEscapes() {
        #expect(JSONValue.int(42).encoded() == "42")
        #expect(JSONValue.number(0.5).encoded() == "0.5")
        #expect(JSONValue.string("a\u{01}b\tc").encoded() == #""a\u0001b\tc""#)
    }

    @Test("an object written with one array element by element is byte for byte what prettyEncoded writes", arguments: [0, 1, 3, 2_000])
    func prettyByElement(count: Int) {
        let head: [String: JSONValue] = ["id": "r1", "z": ["k": [1, 2]], "empty": [:], "a": .null]
        let elements: [JSONValue] = (0..<count).map { ["n": .int($0), "list": .array(Array(repeating: "x", count: $0 % 3))] }
        var whole = head
        whole["steps"] = .array(elements)
        var out: [UInt8] = []
        var drained: [UInt8] = []
        JSONValue.writePretty(object: head, array: "steps", count: count, element: { elements[$0] }, to: &out,
                              drain: { if $0.count > 100 { drained += $0; $0.removeAll() } })
        #expect(String(decoding: drained + out, as: UTF8.self) == JSONValue.object(whole).prettyEncoded())
    }
}

import Testing
import StepProtocol

@Suite("Line framing", .timeLimit(.minutes(3)))
struct LineFramerTests {
    func lines(_ items: [LineFramer.Item]) -> [String] {
        items.compactMap { if case .line(let l) = $0 { return String(decoding: l, as: UTF8.self) }; return nil }
    }

    @Test("splits joined lines and drops blank lines and a trailing CR")
    func joined() {
        var f = LineFramer()
        #expect(lines(f.append(Array("a\r\n\n  \nb\nc".utf8))) == ["a", "b"])
        #expect(lines(f.finish()) == ["c"])
    }

    @Test("reassembles a message fed one byte at a time")
    func byteAtATime() throws {
        let message = Message.request(id: .number(7), method: "step/run", params: ["with": ["x": "é"]])
        var f = LineFramer()
        var got: [LineFramer.Item] = []
        for b in message.encodedLine() { got += f.append([b]) }
        guard case .line(let l)? = got.first, got.count == 1 else { Issue.record("expected one line, got \(got)"); return }
        #expect(try Message.decode(line: l) == message)
    }

    @Test("reports a line over the limit once and recovers at the next newline")
    func tooLong() {
        var f = LineFramer(maxLine: 10)
        let items = f.append(Array("0123456789ABCDEF".utf8)) + f.append(Array("GHIJ\nok\n".utf8))
        #expect(items.count == 2)
        if case .tooLong = items[0] {} else { Issue.record("first item should be tooLong, got \(items[0])") }
        #expect(lines(items) == ["ok"])
    }
}

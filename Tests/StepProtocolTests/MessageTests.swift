import Testing
import StepProtocol

@Suite("JSON-RPC messages", .timeLimit(.minutes(3)))
struct MessageTests {
    func decodeError(_ text: String) -> Message.DecodingError? {
        do { _ = try Message.decode(line: Array(text.utf8)); return nil } catch { return error }
    }

    @Test("text that is not JSON is a parse error (-32700)")
    func parseError() { #expect(decodeError("{not json")?.code == .parseError) }

    @Test("a batch is an invalid request (-32600)")
    func batch() { #expect(decodeError(#"[{"jsonrpc":"2.0","id":1,"method":"initialize"}]"#)?.code == .invalidRequest) }

    @Test("JSON that is not JSON-RPC 2.0 is an invalid request that keeps the id", arguments: [
        #"{"id":3,"method":"x"}"#, #"{"jsonrpc":"1.0","id":3,"method":"x"}"#, #"{"jsonrpc":"2.0","id":3,"method":5}"#,
        #"{"jsonrpc":"2.0","id":3}"#, #"{"jsonrpc":"2.0","id":3,"method":"x","params":"p"}"#,
    ])
    func invalid(_ text: String) {
        let e = decodeError(text)
        #expect(e?.code == .invalidRequest)
        #expect(e?.id == .number(3))
    }

    @Test("decodes the four kinds of message and ignores unknown members")
    func kinds() throws {
        #expect(try Message.decode(line: Array(#"{"jsonrpc":"2.0","id":"a","method":"m","extra":1}"#.utf8)) == .request(id: .string("a"), method: "m", params: nil))
        #expect(try Message.decode(line: Array(#"{"jsonrpc":"2.0","method":"log","params":{"id":2}}"#.utf8)) == .notification(method: "log", params: ["id": 2]))
        #expect(try Message.decode(line: Array(#"{"jsonrpc":"2.0","id":2,"result":null}"#.utf8)) == .response(id: .number(2), result: .null))
        let e = try Message.decode(line: Array(#"{"jsonrpc":"2.0","id":2,"error":{"code":-32000,"message":"m","data":{"hint":"h","retryable":true}}}"#.utf8))
        guard case .errorResponse(let id, let err) = e else { Issue.record("not an error response"); return }
        #expect(id == .number(2) && err.code == .stepFailed && err.hint == "h" && err.retryable)
    }

    @Test("typed v1 messages round-trip through JSON")
    func typed() throws {
        let req = StepRunRequest(step: .init(id: "build[a]", uses: "docker-build", attempt: 2, environment: "dev"),
                                 run: .init(id: "r", workflow: "main", environment: "dev", event: "push", branch: "main", sha: "s", base: ""),
                                 with: ["context": "x"], env: ["A": "1"], secrets: ["T": "v"], workspace: "/w", tempDir: "/w/t", dryRun: true)
        #expect(try StepRunRequest(json: req.json) == req)
        let initResult = InitializeResult(pluginName: "p", pluginVersion: "1", steps: [StepDescription(name: "s", inputs: ["type": "object"])],
                                          capabilities: Capabilities(concurrency: 3, dryRun: true, cancel: true))
        #expect(try InitializeResult(json: initResult.json) == initResult)
        #expect(try LogNotification(json: ["id": 4, "level": "warning", "message": "m", "file": "f", "line": 3]) ==
                LogNotification(id: .number(4), level: .warning, message: "m", file: "f", line: 3))
        #expect(throws: FieldError.self) { try StepRunRequest(json: ["step": ["uses": "x"]]) }
    }
}

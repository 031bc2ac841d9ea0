import Foundation
import StepProtocol
import Testing

/// PluginKit's answers to a host that misbehaves, over a real process's stdin/stdout.
@Suite("PluginKit", .timeLimit(.minutes(1)))
struct PluginKitTests {
    /// Sends lines to a fresh fake plugin, closes stdin, returns every stdout message.
    func exchange(_ lines: [String]) async throws -> [JSONValue] {
        let r = try await TestSupport.run(["/bin/sh", "-c", "(printf '%s\\n' \"$@\"; sleep 1) | \"\(TestSupport.fake)\"", "sh"] + lines, cwd: "/tmp")
        #expect(r.code == 0, "plugin exits 0 at end of stdin: \(r.stderr)")
        return try r.stdout.split(separator: "\n").map { try JSONParser.parse(String($0)) }
    }

    @Test("answers -32700 to a line that is not JSON and -32600 to a batch, and goes on")
    func malformed() async throws {
        let replies = try await exchange(["{oops", #"[{"jsonrpc":"2.0","id":1,"method":"initialize"}]"#,
                                          #"{"jsonrpc":"2.0","id":2,"method":"nope"}"#, #"{"jsonrpc":"2.0","id":3,"method":"shutdown"}"#])
        #expect(replies.map { $0["error"]?["code"]?.intValue } == [-32700, -32600, -32601, nil])
        #expect(replies[3]["result"] == .null)
    }

    @Test("validates inputs against the step's schema (-32602 with data.errors)")
    func invalidParams() async throws {
        let step = #"{"jsonrpc":"2.0","id":2,"method":"step/run","params":{"step":{"id":"a","uses":"fake"},"with":{"mode":"echo","bogus":1},"workspace":"/tmp","tempDir":"/tmp"}}"#
        let replies = try await exchange([#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":1}}"#, step])
        #expect(replies[1]["error"]?["code"] == -32602)
        #expect(replies[1]["error"]?["data"]?["errors"]?.arrayValue?.first?["path"] == "with.bogus")
    }

    @Test("a stray print goes to stderr, not into the protocol stream")
    func strayPrint() async throws {
        let step = #"{"jsonrpc":"2.0","id":2,"method":"step/run","params":{"step":{"id":"a","uses":"fake"},"with":{"mode":"stray-print"},"workspace":"/tmp","tempDir":"/tmp"}}"#
        let replies = try await exchange([#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":1}}"#, step])
        #expect(replies.count == 2)
        #expect(replies[1]["result"]?["outputs"]?["stepID"] == "a")
    }
}

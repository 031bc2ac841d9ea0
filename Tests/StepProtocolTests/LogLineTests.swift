import Testing
import StepProtocol

/// `log` notifications are written and read by a path of their own (no `JSONValue` in between);
/// these tests hold it to the general path, byte for byte and value for value.
@Suite("log notifications' own encoder and decoder", .timeLimit(.minutes(1)))
struct LogLineTests {
    /// What the general path makes of a line: the notification when it is a readable `log`.
    static func general(_ line: [UInt8]) -> LogNotification? {
        guard case .notification(LogNotification.method, let params)? = try? Message.decode(line: line) else { return nil }
        return try? LogNotification(json: params ?? .null)
    }

    static let notifications: [LogNotification] = [
        LogNotification(id: .number(2), message: "line 1"),
        LogNotification(id: .number(0), level: .warning, message: ""),
        LogNotification(id: .number(-7), level: .error, message: "a \"quoted\" \\ back\\slash\tand\nnewline\r\u{1}\u{7F}", file: "src/a b.swift", line: 42),
        LogNotification(id: .string("req-1"), level: .debug, message: "ünïcødé ✓ 🚀", file: "x", line: 0),
        LogNotification(id: .string("with \"quote\""), level: .notice, message: "x", line: -3),
        LogNotification(id: .number(123_456_789_012), message: String(repeating: "long ", count: 2_000)),
    ]

    @Test("the encoder writes exactly the general encoder's bytes")
    func encoding() {
        for n in Self.notifications {
            #expect(n.encodedLine() == Message.notification(method: LogNotification.method, params: n.json).encodedLine(), "\(n)")
        }
    }

    @Test("the decoder reads what the encoder writes, and the general path agrees")
    func roundTrip() {
        for n in Self.notifications {
            var line = n.encodedLine()
            line.removeLast()
            #expect(LogNotification.decode(line: line) == n)
            #expect(Self.general(line) == n)
        }
    }

    @Test("lines as other plugins write them (spaces, any key order, escapes) take the fast path and read the same", arguments: [
        #"{"jsonrpc": "2.0", "method": "log", "params": {"id": 2, "message": "hi"}}"#,
        #"{ "params" : { "message" : "hi", "level" : "warning", "id" : "a" } , "method" : "log" , "jsonrpc" : "2.0" }  "#,
        #"{"jsonrpc":"2.0","method":"log","params":{"id":2,"message":"\u00e9\ud83d\ude80 \/ \b\f\n\r\t \"x\""}}"#,
        #"{"jsonrpc":"2.0","method":"log","params":{"id":2.0,"level":"loud","message":"unknown level is info"}}"#,
        #"{"jsonrpc":"2.0","method":"log","params":{"id":-0,"line":1e2,"message":"m"}}"#,
        #"{"jsonrpc":"2.0","method":"log","params":{"id":2}}"#,
    ])
    func otherWriters(_ text: String) {
        let line = Array(text.utf8)
        let fast = LogNotification.decode(line: line)
        #expect(fast != nil, "the fast path reads it")
        #expect(fast == Self.general(line))
    }

    @Test("anything else is left to the general path (nil), which decides", arguments: [
        #"{"jsonrpc":"2.0","method":"log","params":{"id":2,"message":"a","message":"b"}}"#,   // repeated member
        #"{"jsonrpc":"2.0","method":"log","params":{"id":2,"extra":1}}"#,                     // another member
        #"{"jsonrpc":"2.0","method":"log","params":{"id":2,"message":null}}"#,                // null
        #"{"jsonrpc":"2.0","method":"log","params":{"id":2,"message":5}}"#,                   // wrong type
        #"{"jsonrpc":"2.0","method":"log","params":{"id":2.5}}"#,                             // not an id
        #"{"jsonrpc":"2.0","method":"log","params":{"message":"no id"}}"#,
        #"{"jsonrpc":"2.0","method":"progress","params":{"id":2}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"log","params":{"id":2}}"#,                       // a request
        #"{"jsonrpc":"1.0","method":"log","params":{"id":2}}"#,
        #"{"jsonrpc":"2.0","method":"log","params":[2]}"#,
        #"{"jsonrpc":"2.0","method":"log","params":{"id":2}} x"#,                             // trailing data
        #"{"jsonrpc":"2.0","method":"log","params":{"id":2},}"#,
        #"{"json\u0072pc":"2.0","method":"log","params":{"id":2}}"#,                          // an escaped key
        "{\"jsonrpc\":\"2.0\",\"method\":\"log\",\"params\":{\"id\":2,\"message\":\"tab\tinside\"}}",   // a raw control character
    ])
    func leftToTheGeneralPath(_ text: String) {
        #expect(LogNotification.decode(line: Array(text.utf8)) == nil)
    }

    @Test("every one-byte edit of a valid line (replaced, inserted, removed): the fast path is nil or exactly the general path's reading")
    func edits() {
        let seeds = Self.notifications.map { n -> [UInt8] in var l = n.encodedLine(); l.removeLast(); return l }.filter { $0.count < 200 }
            + [Array(#"{"jsonrpc": "2.0", "method": "log", "params": {"id": 2, "message": "hi", "line": 3}}"#.utf8)]
        let alphabet = Array(#"{}[]:,"\ 0123456789-.eE+nultrfa"#.utf8) + [0x09, 0x0A, 0xC3]
        var fastTaken = 0, tried = 0
        func check(_ line: [UInt8]) {
            tried += 1
            guard let fast = LogNotification.decode(line: line) else { return }
            fastTaken += 1
            #expect(fast == Self.general(line), "\(String(decoding: line, as: UTF8.self))")
        }
        for seed in seeds {
            for at in seed.indices {
                var removed = seed
                removed.remove(at: at)
                check(removed)
                for b in alphabet {
                    var replaced = seed
                    replaced[at] = b
                    check(replaced)
                    var inserted = seed
                    inserted.insert(b, at: at)
                    check(inserted)
                }
            }
        }
        #expect(tried > 10_000 && fastTaken > 1_000, "\(tried) edits, \(fastTaken) still read by the fast path")
    }
}

/// `log` notifications are most of what crosses the protocol, so they are written and read
/// here without building `JSONValue` dictionaries. Each direction gives exactly what the general
/// path gives (a test compares them line by line); reading leaves anything unusual to it.
extension LogNotification {
    private static let head = Array(#"{"jsonrpc":"2.0","method":"log","params":{"#.utf8)

    /// The same bytes as `Message.notification(method: "log", params: json).encodedLine()`:
    /// keys in sorted order, ended by `\n`.
    public func encodedLine() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.head.count + message.utf8.count + (file?.utf8.count ?? 0) + 48)
        out.append(contentsOf: Self.head)
        if let file {
            out.append(contentsOf: #""file":"#.utf8)
            JSONValue.writeString(file, to: &out)
            out.append(UInt8(ascii: ","))
        }
        out.append(contentsOf: #""id":"#.utf8)
        id.json.write(to: &out)
        out.append(contentsOf: #","level":"#.utf8)
        JSONValue.writeString(level.rawValue, to: &out)
        if let line {
            out.append(contentsOf: #","line":"#.utf8)
            JSONValue.int(line).write(to: &out)
        }
        out.append(contentsOf: #","message":"#.utf8)
        JSONValue.writeString(message, to: &out)
        out.append(contentsOf: "}}\n".utf8)
        return out
    }

    /// The notification when `line` is a JSON-RPC `log` notification whose members are the
    /// protocol's (`jsonrpc`, `method`, `params` with `id`, `level`, `message`, `file`, `line`),
    /// each once and of its type; nil for anything else — decode that with `Message.decode(line:)`,
    /// which then gives the same notification or says what is wrong.
    public static func decode(line: [UInt8]) -> LogNotification? {
        line.withUnsafeBufferPointer { buf -> LogNotification? in
            var p = JSONParser(buf: buf)
            guard var top = p.members() else { return nil }
            var seen: UInt8 = 0
            var params: LogNotification?
            while let key = top.next(&p) {
                if p.key(key, is: "jsonrpc") {
                    guard seen & 1 == 0, p.peek == UInt8(ascii: "\""), (try? p.string()) == "2.0" else { return nil }
                    seen |= 1
                } else if p.key(key, is: "method") {
                    guard seen & 2 == 0, p.peek == UInt8(ascii: "\""), (try? p.string()) == LogNotification.method else { return nil }
                    seen |= 2
                } else if p.key(key, is: "params") {
                    guard seen & 4 == 0, let n = p.logParams() else { return nil }
                    seen |= 4
                    params = n
                } else {
                    return nil
                }
            }
            guard top.ended, seen == 7, p.atEnd else { return nil }
            return params
        }
    }
}

extension JSONParser {
    /// Walks an object's members: `next` reads a key and its ':' and leaves `i` at the value,
    /// which the caller reads. Any deviation from plain JSON, or a key with an escape, ends the
    /// walk without `ended`.
    struct Members {
        private var first = true
        /// True once the closing brace was read.
        private(set) var ended = false

        /// The key's bytes, between its quotes.
        mutating func next(_ p: inout JSONParser) -> Range<Int>? {
            p.skipSpace()
            guard p.i < p.buf.count else { return nil }
            if p.buf[p.i] == UInt8(ascii: "}") {
                p.i += 1
                ended = true
                return nil
            }
            if first {
                first = false
            } else {
                guard p.buf[p.i] == UInt8(ascii: ",") else { return nil }
                p.i += 1
                p.skipSpace()
            }
            guard p.peek == UInt8(ascii: "\"") else { return nil }
            let start = p.i + 1
            var k = start
            while k < p.buf.count, p.buf[k] != UInt8(ascii: "\""), p.buf[k] != UInt8(ascii: "\\"), p.buf[k] >= 0x20 { k += 1 }
            guard k < p.buf.count, p.buf[k] == UInt8(ascii: "\"") else { return nil }
            p.i = k + 1
            p.skipSpace()
            guard p.peek == UInt8(ascii: ":") else { return nil }
            p.i += 1
            p.skipSpace()
            return start..<k
        }
    }

    /// Whether the key's bytes are `name` (ASCII).
    func key(_ key: Range<Int>, is name: StaticString) -> Bool {
        guard key.count == name.utf8CodeUnitCount else { return false }
        let n = name.utf8Start
        for k in 0..<key.count where buf[key.lowerBound + k] != n[k] { return false }
        return true
    }

    var peek: UInt8? { i < buf.count ? buf[i] : nil }

    /// True when only white space is left.
    var atEnd: Bool {
        mutating get { skipSpace(); return i == buf.count }
    }

    /// Starts walking the object at `i`.
    mutating func members() -> Members? {
        skipSpace()
        guard peek == UInt8(ascii: "{") else { return nil }
        i += 1
        return Members()
    }

    /// A `log` notification's params, read as `LogNotification(json:)` reads them; nil where that
    /// would differ or fail (a null, another member, a repeated one, a value of another type).
    mutating func logParams() -> LogNotification? {
        guard var m = members() else { return nil }
        var id: RequestID?, level: String?, message: String?, file: String?, line: Int?
        while let key = m.next(&self) {
            if self.key(key, is: "id") {
                guard id == nil else { return nil }
                if peek == UInt8(ascii: "\"") {
                    guard let s = try? string() else { return nil }
                    id = .string(s)
                } else {
                    guard let d = try? number(), let r = RequestID(json: .number(d)) else { return nil }
                    id = r
                }
            } else if self.key(key, is: "level") {
                guard level == nil, peek == UInt8(ascii: "\""), let s = try? string() else { return nil }
                level = s
            } else if self.key(key, is: "message") {
                guard message == nil, peek == UInt8(ascii: "\""), let s = try? string() else { return nil }
                message = s
            } else if self.key(key, is: "file") {
                guard file == nil, peek == UInt8(ascii: "\""), let s = try? string() else { return nil }
                file = s
            } else if self.key(key, is: "line") {
                guard line == nil, let c = peek, c == UInt8(ascii: "-") || (c >= 0x30 && c <= 0x39),
                      let d = try? number(), let n = JSONValue.number(d).intValue else { return nil }
                line = n
            } else {
                return nil
            }
        }
        guard m.ended, let id else { return nil }
        return LogNotification(id: id, level: level.flatMap(LogNotification.Level.init(rawValue:)) ?? .info,
                               message: message ?? "", file: file, line: line)
    }
}

/// One JSON-RPC 2.0 message as it travels on a line.
public enum Message: Sendable, Hashable {
    case request(id: RequestID, method: String, params: JSONValue?)
    case notification(method: String, params: JSONValue?)
    case response(id: RequestID, result: JSONValue)
    /// An error response; the id is null when the request could not be read.
    case errorResponse(id: RequestID?, error: ResponseError)

    /// Why a line is not a message, as the receiving side must answer it.
    public struct DecodingError: Error, Sendable, Hashable, CustomStringConvertible {
        /// -32700 for text that is not JSON, -32600 for JSON that is not a JSON-RPC 2.0 message.
        public var code: ErrorCode
        public var message: String
        /// The request's id when it could be read, so that the answer can name it.
        public var id: RequestID?
        public var description: String { message }
    }

    public func json() -> JSONValue {
        switch self {
        case .request(let id, let method, let params):
            var o: [String: JSONValue] = ["jsonrpc": "2.0", "id": id.json, "method": .string(method)]
            if let params { o["params"] = params }
            return .object(o)
        case .notification(let method, let params):
            var o: [String: JSONValue] = ["jsonrpc": "2.0", "method": .string(method)]
            if let params { o["params"] = params }
            return .object(o)
        case .response(let id, let result):
            return ["jsonrpc": "2.0", "id": id.json, "result": result]
        case .errorResponse(let id, let error):
            return ["jsonrpc": "2.0", "id": id?.json ?? .null, "error": error.json]
        }
    }

    /// The message as one line of UTF-8, ended by `\n`.
    public func encodedLine() -> [UInt8] {
        var out: [UInt8] = []
        json().write(to: &out)
        out.append(0x0A)
        return out
    }

    /// Decodes one line (without its newline).
    public static func decode(line: [UInt8]) throws(DecodingError) -> Message {
        let value: JSONValue
        do { value = try JSONParser.parse(line) } catch {
            throw DecodingError(code: .parseError, message: "Parse error: \(error)")
        }
        return try decode(value)
    }

    public static func decode(_ value: JSONValue) throws(DecodingError) -> Message {
        guard case .object(let o) = value else {
            let what = value.arrayValue != nil ? "a batch (JSON array); batches are not supported" : "not a JSON object"
            throw DecodingError(code: .invalidRequest, message: "Invalid Request: \(what)")
        }
        let rawID = o["id"]
        let id = rawID.flatMap(RequestID.init(json:))
        func invalid(_ m: String) -> DecodingError { DecodingError(code: .invalidRequest, message: "Invalid Request: \(m)", id: id) }
        guard o["jsonrpc"] == "2.0" else { throw invalid("\"jsonrpc\" must be \"2.0\"") }
        if let rawID, !rawID.isNull, id == nil { throw invalid("\"id\" must be a string or an integer") }
        if let m = o["method"] {
            guard let method = m.stringValue else { throw invalid("\"method\" must be a string") }
            let params = o["params"]
            if let params, params.objectValue == nil, params.arrayValue == nil { throw invalid("\"params\" must be an object or an array") }
            if let id { return .request(id: id, method: method, params: params) }
            if rawID != nil { throw invalid("\"id\" must not be null in a request") }
            return .notification(method: method, params: params)
        }
        if let e = o["error"] {
            guard let err = ResponseError(json: e) else { throw invalid("\"error\" needs an integer \"code\" and a string \"message\"") }
            return .errorResponse(id: id, error: err)
        }
        if let r = o["result"] {
            guard let id else { throw invalid("a response needs an \"id\"") }
            return .response(id: id, result: r)
        }
        throw invalid("neither a request, a notification nor a response")
    }
}

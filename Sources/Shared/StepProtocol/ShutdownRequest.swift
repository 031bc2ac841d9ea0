/// `shutdown`: the host is done with this process; answer null, then exit when stdin closes.
public struct ShutdownRequest: RequestType, Hashable {
    public static let method = "shutdown"
    public typealias Response = NullResult
    public init() {}
    public init(json: JSONValue) throws(FieldError) {}
    public var json: JSONValue { .null }
}

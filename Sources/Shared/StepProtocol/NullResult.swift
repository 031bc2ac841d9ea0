/// A `null` result.
public struct NullResult: JSONConvertible, Hashable {
    public init() {}
    public init(json: JSONValue) throws(FieldError) {}
    public var json: JSONValue { .null }
}

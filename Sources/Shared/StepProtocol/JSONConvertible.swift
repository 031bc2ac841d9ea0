/// A value with a JSON form; every protocol message's params and results are one.
public protocol JSONConvertible: Sendable {
    init(json: JSONValue) throws(FieldError)
    var json: JSONValue { get }
}

/// A request of protocol v1: it names its method and the type of its result.
public protocol RequestType: JSONConvertible {
    static var method: String { get }
    associatedtype Response: JSONConvertible
}

/// A notification of protocol v1.
public protocol NotificationType: JSONConvertible {
    static var method: String { get }
}

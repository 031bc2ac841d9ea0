/// `mask` (plugin → host): a value to hide from everything the host prints or stores.
public struct MaskNotification: NotificationType, Hashable {
    public static let method = "mask"
    public var id: RequestID
    public var value: String
    public init(id: RequestID, value: String) { self.id = id; self.value = value }
    public init(json: JSONValue) throws(FieldError) {
        let f = try Fields(json)
        id = try f.requestID("id")
        value = try f.string("value")
    }
    public var json: JSONValue { ["id": id.json, "value": .string(value)] }
}

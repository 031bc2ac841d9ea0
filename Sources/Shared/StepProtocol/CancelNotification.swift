/// `$/cancel` (host → plugin): stop the work of one `step/run`.
public struct CancelNotification: NotificationType, Hashable {
    public static let method = "$/cancel"
    public var id: RequestID
    public init(id: RequestID) { self.id = id }
    public init(json: JSONValue) throws(FieldError) { id = try Fields(json).requestID("id") }
    public var json: JSONValue { ["id": id.json] }
}

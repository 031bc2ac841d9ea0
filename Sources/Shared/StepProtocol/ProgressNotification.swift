/// `progress` (plugin → host).
public struct ProgressNotification: NotificationType, Hashable {
    public static let method = "progress"
    public var id: RequestID
    public var message: String?
    public var completed: Double?
    public var total: Double?

    public init(id: RequestID, message: String? = nil, completed: Double? = nil, total: Double? = nil) {
        self.id = id; self.message = message; self.completed = completed; self.total = total
    }

    public init(json: JSONValue) throws(FieldError) {
        let f = try Fields(json)
        id = try f.requestID("id")
        message = try f.optionalString("message")
        completed = try f.optionalDouble("completed")
        total = try f.optionalDouble("total")
    }

    public var json: JSONValue {
        .compactObject(["id": id.json, "message": message.map(JSONValue.string),
                        "completed": completed.map(JSONValue.number), "total": total.map(JSONValue.number)])
    }
}

/// `log` (plugin → host): a line of the step's log.
public struct LogNotification: NotificationType, Hashable {
    public static let method = "log"
    public enum Level: String, Sendable, CaseIterable { case debug, info, notice, warning, error }

    public var id: RequestID
    public var level: Level
    public var message: String
    public var file: String?
    public var line: Int?

    public init(id: RequestID, level: Level = .info, message: String, file: String? = nil, line: Int? = nil) {
        self.id = id; self.level = level; self.message = message; self.file = file; self.line = line
    }

    public init(json: JSONValue) throws(FieldError) {
        let f = try Fields(json)
        id = try f.requestID("id")
        level = Level(rawValue: try f.optionalString("level") ?? "info") ?? .info
        message = try f.optionalString("message") ?? ""
        file = try f.optionalString("file")
        line = try f.optionalInt("line")
    }

    public var json: JSONValue {
        .compactObject(["id": id.json, "level": .string(level.rawValue), "message": .string(message),
                        "file": file.map(JSONValue.string), "line": line.map(JSONValue.int)])
    }
}

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

/// `$/cancel` (host → plugin): stop the work of one `step/run`.
public struct CancelNotification: NotificationType, Hashable {
    public static let method = "$/cancel"
    public var id: RequestID
    public init(id: RequestID) { self.id = id }
    public init(json: JSONValue) throws(FieldError) { id = try Fields(json).requestID("id") }
    public var json: JSONValue { ["id": id.json] }
}

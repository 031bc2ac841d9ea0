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

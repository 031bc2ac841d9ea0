/// `initialize`: the first request the host sends to a plugin process.
public struct InitializeRequest: RequestType, Hashable {
    public static let method = "initialize"
    public typealias Response = InitializeResult

    /// The protocol version this code speaks.
    public static let currentProtocolVersion = 1

    public var protocolVersion: Int
    public var hostName: String
    public var hostVersion: String

    public init(protocolVersion: Int = InitializeRequest.currentProtocolVersion, hostName: String = "stephost", hostVersion: String) {
        self.protocolVersion = protocolVersion
        self.hostName = hostName
        self.hostVersion = hostVersion
    }

    public init(json: JSONValue) throws(FieldError) {
        let f = try Fields(json)
        protocolVersion = try f.int("protocolVersion")
        let host = f.optional("host")
        hostName = host?["name"]?.stringValue ?? ""
        hostVersion = host?["version"]?.stringValue ?? ""
    }

    public var json: JSONValue {
        ["protocolVersion": .int(protocolVersion), "host": ["name": .string(hostName), "version": .string(hostVersion)]]
    }
}

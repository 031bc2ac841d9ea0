/// A processor reference such as `llm/litellm@1`: its registry file is
/// `llm_litellm.yaml` and its Modal function `exec__llm_litellm__v1`.
public struct ProcessorRef: Sendable, Hashable, CustomStringConvertible {
    /// `llm/litellm`
    public let name: String
    /// `1`
    public let version: String

    /// Parses `NAME@VERSION`; NAME is lowercase letters, digits, `_`, `-`, `.` in `/`-separated parts.
    public init(_ text: String) throws(RegistryFileError) {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
              parts[0].split(separator: "/", omittingEmptySubsequences: false).allSatisfy({ !$0.isEmpty && $0.allSatisfy(ProcessorRef.isNameCharacter) }),
              parts[1].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-" }) else {
            throw .badProcessorRef(text)
        }
        name = String(parts[0])
        version = String(parts[1])
    }

    static func isNameCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLowercase || c.isNumber || c == "_" || c == "-" || c == ".")
    }

    public var description: String { "\(name)@\(version)" }
    /// `llm_litellm`: the name with `/` as `_`.
    public var slug: String { name.replacingOccurrences(of: "/", with: "_") }
    /// `llm_litellm.yaml`
    public var fileName: String { "\(slug).yaml" }
    /// `exec__llm_litellm__v1`
    public var functionName: String { "exec__\(slug)__v\(version)" }
}

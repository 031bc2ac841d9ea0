import StepProtocol
import StepYAML

/// A step's `with:` compiled once, when the manifest is read: the tree of its values with each
/// `${{ }}` parsed, its path (`with.http.url`), its source position, and the steps it reads. The
/// graph checks, `validate`, `plan` and each step's start all use this one compilation.
public indirect enum InputTemplate: Sendable {
    /// A scalar: its text, whether it was plain (unquoted, so a string schema takes its source text), its
    /// value as YAML reads it, and its template when it holds `${{` (or the template's error).
    case scalar(Scalar)
    case sequence([InputTemplate])
    case mapping([(key: String, value: InputTemplate)])

    public struct Scalar: Sendable {
        public let text: String
        public let plain: Bool
        public let json: JSONValue
        public let path: String
        public let position: SourcePosition
        public let template: Template?
        public let error: String?
    }

    /// Compiles a `with:` mapping (or any node under it).
    public init(_ node: YAMLNode, path: String = "with") {
        switch node.kind {
        case .scalar(let s):
            var template: Template?, error: String?
            if InputTemplate.mayHoldExpression(s) {
                do { template = try Template(s) } catch let e { error = e.message }
            }
            self = .scalar(Scalar(text: s, plain: node.isPlain, json: node.json, path: path, position: node.position, template: template, error: error))
        case .sequence(let items):
            self = .sequence(items.enumerated().map { InputTemplate($1, path: "\(path)[\($0)]") })
        case .mapping(let pairs):
            self = .mapping(pairs.map { (key: $0.key.scalar ?? "", value: InputTemplate($0.value, path: "\(path).\($0.key.scalar ?? "")")) })
        }
    }

    /// `${{` anywhere in the text, found byte by byte.
    static func mayHoldExpression(_ s: String) -> Bool {
        var dollar = false, brace = 0
        for b in s.utf8 {
            if b == UInt8(ascii: "$") { dollar = true; brace = 0; continue }
            if dollar && b == UInt8(ascii: "{") { brace += 1; if brace == 2 { return true }; continue }
            dollar = false; brace = 0
        }
        return false
    }

    /// Every scalar with expressions: path, position and expressions (for the graph's reference checks).
    public var expressions: [(path: String, position: SourcePosition, expressions: [Expression])] {
        var out: [(String, SourcePosition, [Expression])] = []
        func walk(_ t: InputTemplate) {
            switch t {
            case .scalar(let s): if let template = s.template { out.append((s.path, s.position, template.expressions)) }
            case .sequence(let items): items.forEach(walk)
            case .mapping(let pairs): pairs.forEach { walk($0.value) }
            }
        }
        walk(self)
        return out
    }

    /// The steps its expressions read.
    public var referencedSteps: Set<String> {
        var out = Set<String>()
        for e in expressions { for x in e.expressions { out.formUnion(x.referencedSteps) } }
        return out
    }
}

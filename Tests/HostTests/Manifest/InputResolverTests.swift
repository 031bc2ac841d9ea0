import StepManifest
import StepProtocol
import StepRun
import StepYAML
import Testing

/// A step's `with:`, compiled once (`InputTemplate`) and resolved when it starts (`InputResolver`).
@Suite("InputTemplate and InputResolver: with: as a plugin receives it")
struct InputResolverTests {
    static func template(_ yaml: String) throws -> InputTemplate {
        InputTemplate(try YAMLParser.parse(yaml))
    }

    @Test("a plain scalar keeps its source text where the schema says string, its type elsewhere")
    func strings() throws {
        let t = try Self.template("tag: 1.10\ncount: 3\nflag: yes\nname: 'quoted'\n")
        let schema: JSONValue = ["type": "object", "properties": ["tag": ["type": "string"], "count": ["type": "integer"], "flag": ["type": "string"]]]
        let v = try InputResolver.resolve(t, schema: schema, context: nil)
        #expect(v == ["tag": "1.10", "count": 3, "flag": "yes", "name": "quoted"])
        #expect(try InputResolver.resolve(t, schema: nil, context: nil)["tag"] == .number(1.1), "no schema: YAML's own type")
    }

    @Test("expressions: kept as written without a context, evaluated with one (a whole expression keeps its type)")
    func expressions() throws {
        let t = try Self.template("list: ${{ steps.a.outputs.names }}\ntext: 'v${{ env.V }}'\nnested: {deep: ['${{ item }}']}\n")
        let raw = try InputResolver.resolve(t, schema: nil, context: nil)
        #expect(raw["list"] == "${{ steps.a.outputs.names }}" && InputResolver.isExpression(raw["list"]!))
        let ctx = EvaluationContext(contexts: ["steps": ["a": ["outputs": ["names": ["x", "y"]]]], "env": ["V": "2"], "item": "k"])
        let v = try InputResolver.resolve(t, schema: nil, context: ctx)
        #expect(v == ["list": ["x", "y"], "text": "v2", "nested": ["deep": ["k"]]])
        #expect(t.referencedSteps == ["a"])
        #expect(t.expressions.map(\.path).sorted() == ["with.list", "with.nested.deep[0]", "with.text"], "\(t.expressions.map(\.path))")
    }

    @Test("an expression that fails names the input's path")
    func failure() throws {
        let t = try Self.template("x: ${{ fromJSON('not json') }}\n")
        #expect(throws: ExpressionError.self) { try InputResolver.resolve(t, schema: nil, context: EvaluationContext()) }
        do { _ = try InputResolver.resolve(t, schema: nil, context: EvaluationContext()) } catch { #expect(error.message.hasPrefix("with.x: "), "\(error.message)") }
    }
}

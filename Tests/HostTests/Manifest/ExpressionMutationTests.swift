import StepManifest
import StepProtocol
import Testing

@Suite("Expression and JSON parsers on mutated input", .timeLimit(.minutes(1)))
struct ExpressionMutationTests {
    static let seeds = [
        "steps.a.outputs['x'][0] == 'y' && !(failure() || contains(fromJSON('[1,2]'), 2))",
        "format('{0}-{1}', env.A, join(fromJSON('[\"a\"]'), ','))", "${{ a }} text $${{ b }} ${{ 'c}}' }}",
        #"{"jsonrpc":"2.0","id":1,"result":{"outputs":{"a":[1,2.5e3,"\u00e9",null,true]}}}"#,
    ]
    static let pieces = ["(", ")", "[", "]", "'", "''", "!", "&&", "||", "==", ".", ",", "${{", "}}", "\\u", "\"", "{", "}", "-", "1e", "9999999999999999999999"]

    @Test("5,000 mutations of expressions, templates and JSON never crash")
    func mutations() {
        var rng = SystemRandomNumberGenerator()
        var parsed = 0, rejected = 0
        for _ in 0..<5000 {
            var chars = Array(ExpressionMutationTests.seeds.randomElement(using: &rng)!)
            for _ in 0..<Int.random(in: 1...5, using: &rng) {
                let at = Int.random(in: 0...chars.count, using: &rng)
                if Bool.random(using: &rng), at < chars.count { chars.remove(at: at) } else {
                    chars.insert(contentsOf: ExpressionMutationTests.pieces.randomElement(using: &rng)!, at: at)
                }
            }
            let text = String(chars)
            if let e = try? ExpressionParser.parse(text) {
                parsed += 1
                _ = try? e.evaluate(EvaluationContext(contexts: ["steps": [:], "env": [:]]))
            } else { rejected += 1 }
            _ = try? Template(text)
            _ = try? JSONParser.parse(text)
            _ = try? Message.decode(line: Array(text.utf8))
        }
        #expect(parsed > 0 && rejected > 0, "the mutations exercise both paths: \(parsed) parsed, \(rejected) rejected")
    }
}

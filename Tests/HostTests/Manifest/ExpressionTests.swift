import StepManifest
import StepProtocol
import Testing

@Suite("Expressions", .timeLimit(.minutes(3)))
struct ExpressionTests {
    let ctx: EvaluationContext = {
        var c = EvaluationContext(contexts: [
            "steps": ["changes": ["status": "success", "outputs": ["processors": [["name": "a", "path": "p/a"], ["name": "b", "path": "p/b"]],
                                                                   "n": 3, "flag": false]]],
            "env": ["PREFIX": "ghcr.io/acme", "EMPTY": ""], "vars": ["TIER": "dev"],
            "run": ["event": "push", "branch": "main"], "item": ["name": "x", "path": "p/x"],
        ])
        c.success = true
        return c
    }()

    func eval(_ s: String) throws -> JSONValue { try ExpressionParser.parse(s).evaluate(ctx) }

    @Test("operators, precedence and truthiness", arguments: [
        ("1 == 1 && 'a' != 'b'", JSONValue.bool(true)), ("1 == '1'", false), ("!false", true), ("!0", true), ("!''", true),
        ("null || 'x'", "x"), ("'a' && 'b'", "b"), ("0 && 'b'", 0), ("2 < 3 && 3 <= 3 && 4 > 3 && 4 >= 5", false),
        ("'abc' < 'abd'", true), ("(1 == 2) || (2 == 2)", true), ("1 < 'a'", false), ("true == !false", true),
    ])
    func operators(_ text: String, _ expected: JSONValue) throws { #expect(try eval(text) == expected) }

    @Test("contexts and member access; a missing member is null")
    func access() throws {
        #expect(try eval("steps.changes.outputs.processors[1].name") == "b")
        #expect(try eval("steps['changes'].outputs['n']") == 3)
        #expect(try eval("steps.changes.outputs.nope") == nil)
        #expect(try eval("steps.changes.outputs.processors[9]") == nil)
        #expect(try eval("item.path") == "p/x")
        #expect(try eval("env.PREFIX") == "ghcr.io/acme")
        #expect(try eval("vars.TIER == 'dev' && run.event == 'push'") == true)
    }

    @Test("functions", arguments: [
        ("contains('hello', 'ell')", JSONValue.bool(true)), ("contains(fromJSON('[1,2]'), 2)", true), ("contains(fromJSON('[1,2]'), '2')", false),
        ("startsWith('refs/heads/main', 'refs/')", true), ("endsWith('a.yaml', '.yml')", false),
        ("format('{0}-{1}-{{x}}', 'a', 2)", "a-2-{x}"), ("join(fromJSON('[\"a\",\"b\"]'), '+')", "a+b"), ("join(fromJSON('[1,2]'))", "1,2"),
        ("toJSON(fromJSON('{\"b\":1,\"a\":[true]}'))", #"{"a":[true],"b":1}"#), ("always()", true), ("failure()", false), ("success()", true),
        ("cancelled()", false),
    ])
    func functions(_ text: String, _ expected: JSONValue) throws { #expect(try eval(text) == expected) }

    @Test("parse errors say what is wrong", arguments: ["1 ==", "foo(1)", "contains(1)", "'open", "a.", "(1", "steps.*.x", "1 2"])
    func parseErrors(_ text: String) {
        #expect(throws: ExpressionError.self) { try ExpressionParser.parse(text) }
    }

    @Test("templates keep a whole expression's type, interpolate otherwise, and honour $${{")
    func templates() throws {
        #expect(try Template("${{ steps.changes.outputs.processors }}").evaluate(ctx).arrayValue?.count == 2)
        #expect(try Template("${{ env.PREFIX }}/${{ item.name }}").evaluate(ctx) == "ghcr.io/acme/x")
        #expect(try Template("n=${{ steps.changes.outputs.n }} e=${{ env.MISSING }} l=${{ fromJSON('[1]') }}").evaluate(ctx) == "n=3 e= l=[1]")
        #expect(try Template("literal $${{ not.evaluated }}").evaluate(ctx) == "literal ${{ not.evaluated }}")
        #expect(try Template("${{ '}}' }}").evaluate(ctx) == "}}")
        #expect(throws: ExpressionError.self) { try Template("${{ unclosed") }
    }

    @Test("static analysis finds status functions and step references")
    func analysis() throws {
        let e = try ExpressionParser.parse("always() && steps.a.outputs.x == steps['b'].status")
        #expect(e.callsStatusFunction)
        #expect(e.referencedSteps == ["a", "b"])
        #expect(try !ExpressionParser.parse("env.X == 'y'").callsStatusFunction)
    }
}

@Suite("Durations and globs", .timeLimit(.minutes(3)))
struct DurationGlobTests {
    @Test("durations", arguments: [("90s", 90_000), ("1m30s", 90_000), ("500ms", 500), ("1h", 3_600_000), ("2m5s10ms", 125_010)])
    func durations(_ text: String, _ ms: Int) throws { #expect(try StepDuration(parsing: text).milliseconds == ms) }

    @Test("a bare number needs a unit; units go in order")
    func badDurations() {
        #expect { try StepDuration(parsing: "30") } throws: { "\($0)".contains("needs a unit") }
        #expect(throws: DurationError.self) { try StepDuration(parsing: "5s1m") }
        #expect(throws: DurationError.self) { try StepDuration(parsing: "5x") }
        #expect { try StepDuration(parsing: "99999999999999999h") } throws: { "\($0)".contains("longer than 8760h") }
        #expect((try? StepDuration(parsing: "8760h")) == StepDuration.maximum)
    }

    @Test("globs: * stays in a segment, ** spans segments", arguments: [
        ("code/*/x", "code/a/x", true), ("code/*/x", "code/a/b/x", false), ("code/**", "code/a/b", true), ("code/**", "code", true),
        ("**/*.yaml", "a/b/c.yaml", true), ("**/*.yaml", "c.yaml", true), ("main", "main", true), ("release/*", "release/1.0", true),
        ("*", ".hidden", true), ("docs/**/*.md", "docs/x.md", true), ("a*b", "a/b", false),
    ])
    func globs(_ pattern: String, _ path: String, _ matches: Bool) { #expect(Glob(pattern).matches(path) == matches) }
}

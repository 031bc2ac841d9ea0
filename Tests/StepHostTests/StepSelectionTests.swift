import StepHost
import Testing

/// `--only SEL` read on its own: what it selects, what it refuses, how it is written back.
@Suite("StepSelection: --only's syntax")
struct StepSelectionTests {
    @Test("steps, instances and lists of keys; a whole step wins over its keys; keys add up; text writes it back")
    func selects() throws {
        let s = try StepSelection(parsing: " changes , build[a, b],push[x],build[c],push ")
        #expect(s.order == ["changes", "build", "push"])
        #expect(s.contains(step: "changes") && s.contains(step: "changes", key: nil) && !s.contains(step: "deploy"))
        #expect(s.contains(step: "build", key: "a") && s.contains(step: "build", key: "c") && !s.contains(step: "build", key: "d"))
        #expect(!s.contains(step: "build", key: nil), "a step without for-each is not one of build's keys")
        #expect(s.contains(step: "push", key: "anything"), "push given whole")
        #expect(s.text == "changes,build[a,b,c],push")
        #expect(try StepSelection(parsing: s.text) == s)
    }

    @Test("what it refuses, each saying why", arguments: [
        ("build[a", "'[' without ']'"), ("build]a", "']' without '['"), ("build[a[b]]", "'[' inside '[…]'"),
        ("a,,b", "an empty item"), ("[a]", "names no step before '['"), ("build[a,]", "has an empty key"), ("build[a]x", "goes on after ']'"),
    ])
    func refuses(text: String, why: String) {
        #expect(throws: RunError.self) { try StepSelection(parsing: text) }
        do { _ = try StepSelection(parsing: text) } catch { #expect(error.description.contains(why), "\(error)") }
    }
}

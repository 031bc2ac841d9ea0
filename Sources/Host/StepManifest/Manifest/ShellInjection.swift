/// `validate`'s warning about script injection: an `exec` step whose `run:` puts an expression that reads
/// data (a step's outputs, `item`, `run.branch`, `run.tag`) straight into the shell text. A branch name, a
/// directory name or an output can hold `$(…)`, quotes or `;`; the shell would run them. Pass the value
/// through `env:` and quote `"$VAR"` in the script instead.
public enum ShellInjection {
    static let dataReferences = ["steps.", "item", "run.branch", "run.tag", "run.failures"]

    public static func warnings(_ manifest: Manifest) -> [String] {
        var out: [String] = []
        for wf in manifest.workflows {
            for s in wf.steps where s.uses == "exec" {
                guard let run = s.with?["run"], let text = run.scalar, text.contains("${{") else { continue }
                var k = text.startIndex
                while let open = text.range(of: "${{", range: k..<text.endIndex) {
                    guard let close = text.range(of: "}}", range: open.upperBound..<text.endIndex) else { break }
                    let expression = text[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
                    let escaped = open.lowerBound > text.startIndex && text[text.index(before: open.lowerBound)] == "$"
                    if !escaped, dataReferences.contains(where: { expression.contains($0) }) {
                        out.append("\(manifest.file):\(run.position.line):\(run.position.column): warning: step '\(s.id)' of workflow '\(wf.name)' puts ${{ \(expression) }} into the shell text of with.run: a value holding $(…), quotes or ; would run as a command; pass it through env: (e.g. env: {VALUE: \"${{ \(expression) }}\"}) and write \"$VALUE\" in the script")
                    }
                    k = close.upperBound
                }
            }
        }
        return out
    }
}

import Foundation
import StepManifest
import StepRun

enum GraphCommand {
    static func main(_ argv: [String]) async -> Int32 {
        let a: Arguments
        do { a = try Arguments(argv, valued: CommonOptions.valued.union(["--format"]), flags: [], aliases: CommonOptions.aliases) } catch {
            return CommonOptions.fail("\(error) (see stephost graph --help)")
        }
        let format = a.value("--format") ?? "mermaid"
        guard format == "mermaid" || format == "dot" else { return CommonOptions.fail("--format takes mermaid or dot, got '\(format)'") }
        let file = a.value("--file") ?? "stephost.yaml"
        let manifest: Manifest
        do {
            let (m, problems) = try Runner.loadManifest(file, cwd: FileManager.default.currentDirectoryPath)
            if !problems.isEmpty { return CommonOptions.fail(problems.map(\.description).joined(separator: "\n")) }
            manifest = m
        } catch { return CommonOptions.fail(error.description) }
        var workflows = manifest.workflows
        if let name = a.positionals.first {
            guard let wf = manifest.workflow(named: name) else {
                return CommonOptions.fail("\(file) has no workflow '\(name)' (workflows: \(manifest.workflows.map(\.name).joined(separator: ", ")))")
            }
            workflows = [wf]
        }
        print(render(workflows, manifest: manifest, format: format), terminator: "")
        return 0
    }

    static func render(_ workflows: [WorkflowSpec], manifest: Manifest, format: String) -> String {
        var out = format == "mermaid" ? "flowchart TD\n" : "digraph stephost {\n  rankdir=TB;\n  node [shape=box];\n"
        for wf in workflows {
            let g = manifest.graph(of: wf)
            func node(_ id: String) -> String { format == "mermaid" ? "\(sanitize(wf.name))__\(sanitize(id))" : "\"\(wf.name)/\(id)\"" }
            if format == "mermaid" {
                out += "  subgraph \(sanitize(wf.name))[\"\(wf.name)\"]\n"
                for s in wf.steps {
                    let label = (s.forEach != nil ? "\(s.id)[*]" : s.id) + "<br/>" + s.uses
                    out += "    \(node(s.id))[\"\(label.replacingOccurrences(of: "\"", with: "#quot;"))\"]\n"
                }
                for (k, s) in wf.steps.enumerated() { for d in g.dependencies[k] { out += "    \(node(wf.steps[d].id)) --> \(node(s.id))\n" } }
                out += "  end\n"
            } else {
                out += "  subgraph \"cluster_\(wf.name)\" {\n    label=\"\(wf.name)\";\n"
                for s in wf.steps {
                    out += "    \(node(s.id)) [label=\"\((s.forEach != nil ? "\(s.id)[*]" : s.id))\\n\(s.uses)\"];\n"
                }
                for (k, s) in wf.steps.enumerated() { for d in g.dependencies[k] { out += "    \(node(wf.steps[d].id)) -> \(node(s.id));\n" } }
                out += "  }\n"
            }
        }
        if format == "dot" { out += "}\n" }
        return out
    }

    static func sanitize(_ s: String) -> String { String(s.map { $0.isLetter || $0.isNumber ? $0 : "_" }) }
}

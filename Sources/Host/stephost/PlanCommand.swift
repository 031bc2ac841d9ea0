import Foundation
import StepHost
import StepProtocol

enum PlanCommand {
    static func main(_ argv: [String]) async -> Int32 {
        let a: Arguments
        do {
            a = try Arguments(argv, valued: CommonOptions.valued.union(CommonOptions.selection),
                              flags: ["--json"], aliases: CommonOptions.aliases)
        } catch { return CommonOptions.fail("\(error) (see stephost plan --help)") }
        var r = CommonOptions.request(a)
        if let usage = CommonOptions.applySelection(a, command: "plan", to: &r) { return CommonOptions.fail(usage) }
        let p: PreparedRun
        do { p = try await Runner.prepare(r, reporter: SilentReporter(), resolveSecrets: false) } catch {
            return CommonOptions.fail(error.description)
        }
        await p.pool.shutdownAll()
        let steps = Planner.plan(p)
        if a.has("--json") {
            print(p.masker.mask(JSONValue.array(steps.map(\.json)).prettyEncoded()))
            return 0
        }
        for (name, why) in p.skippedWorkflows { print("workflow \(name): skipped (not triggered) — \(why)") }
        var current = ""
        for s in steps {
            if s.workflow != current {
                current = s.workflow
                print("workflow \(current)")
            }
            var head = "  \(s.id)  uses \(s.uses)"
            head += s.needs.isEmpty ? "" : "  needs \(s.needs.joined(separator: ", "))"
            print(head)
            if let f = s.forEach { print("      for-each: \(f)") }
            if let c = s.condition { print("      if: \(c)") }
            if let e = s.environment { print("      environment: \(e)") }
            if !s.secrets.isEmpty { print("      secrets: \(s.secrets.joined(separator: ", "))") }
            if let o = s.inputs.objectValue, !o.isEmpty {
                for k in o.keys.sorted() { print("      with.\(k): \(p.masker.mask(o[k]!.encoded()))") }
            }
        }
        return 0
    }
}

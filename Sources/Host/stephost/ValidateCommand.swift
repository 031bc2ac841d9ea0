import Foundation
import StepManifest
import StepRun

enum ValidateCommand {
    static func main(_ argv: [String]) async -> Int32 {
        let a: Arguments
        do { a = try Arguments(argv, valued: CommonOptions.valued.union(["--env"]), flags: [], aliases: CommonOptions.aliases) } catch {
            return CommonOptions.fail("\(error) (see stephost validate --help)")
        }
        guard a.positionals.isEmpty else { return CommonOptions.fail("validate checks every workflow; it takes no workflow name (see stephost validate --help)") }
        var r: RunRequest
        do { r = try CommonOptions.request(a) } catch { return CommonOptions.fail(error.description) }
        // With --env, every step without its own environment: is checked against that environment, as `run --env` would.
        r.environment = a.value("--env")
        do {
            let p = try await Runner.prepare(r, reporter: SilentReporter(), allWorkflows: true, resolveSecrets: false)
            await p.pool.shutdownAll()
            p.keepUntilExit()
            for w in ShellInjection.warnings(p.manifest) { Console.err(w + "\n") }
            let steps = p.workflows.reduce(0) { $0 + $1.spec.steps.count }
            print("\(p.manifest.file): ok (\(p.workflows.count) workflow\(p.workflows.count == 1 ? "" : "s"), \(steps) step\(steps == 1 ? "" : "s"))")
            return 0
        } catch {
            Console.err("\(error)\n")
            return 2
        }
    }
}

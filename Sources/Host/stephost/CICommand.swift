import Foundation
import StepRun

/// `stephost ci github WORKFLOW --fan-out ID`: prints a GitHub Actions workflow that spreads
/// WORKFLOW's for-each step ID over a matrix of runners and merges their records.
enum CICommand {
    static func main(_ argv: [String]) async -> Int32 {
        guard argv.first == "github" else {
            return CommonOptions.fail("ci: say which CI system: stephost ci github WORKFLOW --fan-out ID (Buildkite: stephost plan WORKFLOW --format buildkite)")
        }
        let a: Arguments
        do {
            a = try Arguments(Array(argv.dropFirst()), valued: CommonOptions.valued.union(CommonOptions.selection)
                                .union(["--fan-out", "--runs-on", "--action", "--chunks", "--legs"]),
                              flags: [], aliases: CommonOptions.aliases)
        } catch { return CommonOptions.fail("\(error) (see stephost ci --help)") }
        var r: RunRequest
        do { r = try CommonOptions.request(a) } catch { return CommonOptions.fail(error.description) }
        if let usage = CommonOptions.applySelection(a, command: "ci github", to: &r) { return CommonOptions.fail(usage) }
        guard r.workflow != nil else { return CommonOptions.fail("ci github needs the workflow: stephost ci github WORKFLOW --fan-out ID") }
        guard let fanOut = a.value("--fan-out") else { return CommonOptions.fail("ci github needs --fan-out ID: the for-each step whose instances run on separate runners") }
        var chunks: Int?
        if let c = a.value("--chunks") {
            guard let n = Int(c), n >= 1, n <= FanOut.githubMatrixLimit else { return CommonOptions.fail("--chunks needs a whole number from 1 to 256, got '\(c)'") }
            chunks = n
        }
        let p: PreparedRun
        do { p = try await Runner.prepare(r, reporter: SilentReporter(), resolveSecrets: false) } catch {
            return CommonOptions.fail(error.description)
        }
        await p.pool.shutdownAll()
        do {
            let legs = a.value("--legs").map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            var w = GitHubFanOutWorkflow(run: p, split: try FanOut.split(p, at: fanOut, legs: legs), fanOut: fanOut)
            if let label = a.value("--runs-on") { w.runsOn = label }
            if let action = a.value("--action") { w.action = action }
            w.chunks = chunks
            print(try w.text(), terminator: "")
        } catch { return CommonOptions.fail("\(error)") }
        return 0
    }
}

import Foundation
import StepJournal
import StepManifest
import StepMetrics
import StepProtocol
import StepReporting
import StepRun

/// `stephost stats [WORKFLOW] [--last N] [--json] [--html FILE]`: how long steps and kinds of step
/// take over the recorded runs of the workspace.
enum StatsCommand {
    static func main(_ argv: [String]) async -> Int32 {
        let a: Arguments
        do {
            a = try Arguments(argv, valued: ["--file", "--workspace", "--last", "--html"], flags: ["--json"], aliases: ["-f": "--file", "-n": "--last"])
        } catch { return CommonOptions.fail("\(error) (see stephost stats --help)") }
        guard a.positionals.count <= 1 else { return CommonOptions.fail("stats takes at most one workflow, got \(a.positionals.joined(separator: " "))") }
        var last = 30
        if let v = a.value("--last") {
            guard let n = Int(v), n >= 1 else { return CommonOptions.fail("--last needs a whole number of at least 1, got '\(v)'") }
            last = n
        }
        let request: RunRequest
        do { request = try CommonOptions.request(a) } catch { return CommonOptions.fail(error.description) }
        let workspace = await Runner.workspace(for: request)
        let history = RunHistory(workspace: workspace)
        let workflow = a.positionals.first
        // Every journal is read once.
        let recorded = history.all()
        let stats = RunStats(recorded: recorded, workflow: workflow, last: last)
        if let workflow, stats.runs.isEmpty, !recorded.isEmpty {
            let known = Set(recorded.flatMap(\.workflows)).sorted()
            Console.err("stephost: no recorded run of workflow '\(workflow)'\(Suggestion.didYouMean(workflow, in: known))"
                        + (known.isEmpty ? "" : " (recorded: \(known.joined(separator: ", ")))") + "\n")
        }
        if let file = a.value("--html") {
            let name = (workspace as NSString).lastPathComponent
            let page = StatsPage(stats: stats, title: "stephost stats · \(name)\(workflow.map { " · \($0)" } ?? "")",
                                 generated: "stephost \(version), \(Timestamp.rfc3339(Date()))")
            let tmp = "\(file).tmp"
            guard FileManager.default.createFile(atPath: tmp, contents: Data(page.html.utf8)), rename(tmp, file) == 0 else {
                return CommonOptions.fail("cannot write \(file)")
            }
            if !a.has("--json") { Console.err("stephost: wrote \(file) (\(stats.runs.count) runs)\n") }
        }
        if a.has("--json") {
            print(stats.json.prettyEncoded())
        } else if a.value("--html") == nil {
            Console.out(text(stats, history: history))
        }
        return 0
    }

    static func text(_ s: RunStats, history: RunHistory) -> String {
        guard !s.runs.isEmpty else { return "no runs recorded in \(history.directory) (dry runs are not counted)\n" }
        let multi = Set(s.steps.map(\.workflow)).count > 1
        func change(_ p: Double?) -> String { p.map { "\($0 > 0 ? "+" : "")\(String(format: "%.1f", $0))%" } ?? "-" }
        let steps = s.steps.map { st -> [String] in
            let f = st.figures
            return [multi ? "\(st.workflow)/\(st.step)" : st.step, st.kind, "\(f.runs)", "\(f.count)", "\(Int((f.successRate * 100).rounded()))%",
                    StatsPage.duration(f.medianMs), StatsPage.duration(f.p95Ms), StatsPage.duration(f.lastMs), change(f.changePct)]
        }
        let kinds = s.kinds.map { k -> [String] in
            let f = RunStats.Figures(s.executions(ofKind: k))
            return [k, "\(f.count)", "\(Int((f.successRate * 100).rounded()))%", StatsPage.duration(f.medianMs), StatsPage.duration(f.p95Ms)]
        }
        var out = "\(s.runs.count) run\(s.runs.count == 1 ? "" : "s") in \(history.directory)\n\n"
        // RUNS: the runs a step ran in; EXECUTIONS: each instance of a for-each step counts (medians are per execution).
        out += TextTable.lines(["STEP", "KIND", "RUNS", "EXECUTIONS", "OK", "MEDIAN", "P95", "LAST", "CHANGE"], steps).joined(separator: "\n") + "\n\n"
        out += TextTable.lines(["KIND", "EXECUTIONS", "OK", "MEDIAN", "P95"], kinds).joined(separator: "\n") + "\n"
        return out
    }
}

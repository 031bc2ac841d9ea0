import Foundation
import StepJournal
import StepProtocol
import StepRun

enum PlanCommand {
    static func main(_ argv: [String]) async -> Int32 {
        let a: Arguments
        do {
            a = try Arguments(argv, valued: CommonOptions.valued.union(CommonOptions.selection)
                                .union(["--format", "--step", "--chunks", "--github-output", "--resume"]),
                              flags: ["--json"], aliases: CommonOptions.aliases)
        } catch { return CommonOptions.fail("\(error) (see stephost plan --help)") }
        var r: RunRequest
        do { r = try CommonOptions.request(a) } catch { return CommonOptions.fail(error.description) }
        if let usage = CommonOptions.applySelection(a, command: "plan", to: &r) { return CommonOptions.fail(usage) }
        let format = a.value("--format") ?? (a.has("--json") ? "json" : "text")
        guard ["text", "json", "github-matrix", "buildkite"].contains(format) else {
            return CommonOptions.fail("--format \(format): one of text, json, github-matrix, buildkite")
        }
        if format == "github-matrix" || format == "buildkite", r.workflow == nil && a.value("--resume") == nil {
            return CommonOptions.fail("plan --format \(format) needs the workflow: stephost plan WORKFLOW --format \(format)")
        }
        r.resume = a.value("--resume")
        let p: PreparedRun
        do { p = try await Runner.prepare(r, reporter: SilentReporter(), resolveSecrets: false) } catch {
            return CommonOptions.fail(error.description)
        }
        await p.pool.shutdownAll()
        p.keepUntilExit()
        var record: RunJournal?
        if let ref = r.resume {
            do { record = try RunHistory(workspace: p.workspace).find(ref) } catch { return CommonOptions.fail(error.description) }
        }
        if format == "github-matrix" { return githubMatrix(a, p, record: record) }
        if format == "buildkite" {
            print(BuildkitePipeline(run: p, record: record, common: GitHubFanOutWorkflow.commonArguments(p)).text(), terminator: "")
            return 0
        }
        let steps = Planner.plan(p)
        if format == "json" {
            print(p.masker.mask(JSONValue.array(steps.map(\.json)).prettyEncoded()))
            return 0
        }
        // Written in pieces of 64 KiB: ten thousand steps are tens of thousands of lines (a print each
        // was slow), and the whole text at once would double the plan's memory.
        var text = ""
        func line(_ l: String) {
            text += l
            text += "\n"
            if text.utf8.count >= 64 << 10 { print(text, terminator: ""); text = "" }
        }
        for (name, why) in p.skippedWorkflows { line("workflow \(name): skipped (not triggered) — \(why)") }
        var current = ""
        for s in steps {
            if s.workflow != current {
                current = s.workflow
                line("workflow \(current)")
            }
            var head = "  \(s.id)  uses \(s.uses)"
            head += s.needs.isEmpty ? "" : "  needs \(s.needs.joined(separator: ", "))"
            line(head)
            if let f = s.forEach { line("      for-each: \(f)") }
            if let c = s.condition { line("      if: \(c)") }
            if let e = s.environment { line("      environment: \(e)") }
            if !s.secrets.isEmpty { line("      secrets: \(s.secrets.joined(separator: ", "))") }
            if let o = s.inputs.objectValue, !o.isEmpty {
                for k in o.keys.sorted() { line("      with.\(k): \(p.masker.mask(o[k]!.encoded()))") }
            }
        }
        print(text, terminator: "")
        return 0
    }

    /// `--format github-matrix --step ID [--chunks N] [--github-output NAME]`.
    static func githubMatrix(_ a: Arguments, _ p: PreparedRun, record: RunJournal?) -> Int32 {
        guard let step = a.value("--step") else { return CommonOptions.fail("plan --format github-matrix needs --step ID (a for-each step)") }
        var chunks: Int?
        if let c = a.value("--chunks") {
            guard let n = Int(c), n >= 1, n <= FanOut.githubMatrixLimit else {
                return CommonOptions.fail("--chunks needs a whole number from 1 to \(FanOut.githubMatrixLimit) (GitHub's limit of legs), got '\(c)'")
            }
            chunks = n
        }
        let keys: [String]
        do { keys = try FanOut.keys(of: step, in: p, record: record) } catch { return CommonOptions.fail(error.description) }
        let matrix = FanOut.githubMatrix(step: step, keys: keys, chunks: chunks)
        let text = matrix.encoded()
        print(text)
        guard let name = a.value("--github-output") else { return 0 }
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }), !name.isEmpty else {
            return CommonOptions.fail("--github-output: '\(name)' is not an output name (letters, digits, _ and -)")
        }
        guard let file = p.request.hostEnvironment["GITHUB_OUTPUT"], !file.isEmpty else {
            return CommonOptions.fail("--github-output: GITHUB_OUTPUT is not set, so the matrix was not written")
        }
        let count = matrix["include"]?.arrayValue?.count ?? 0
        guard let h = FileHandle(forWritingAtPath: file) else { return CommonOptions.fail("--github-output: cannot write \(file)") }
        h.seekToEndOfFile()
        h.write(Data("\(name)=\(text)\n\(name)-count=\(count)\n".utf8))
        h.closeFile()
        return 0
    }
}

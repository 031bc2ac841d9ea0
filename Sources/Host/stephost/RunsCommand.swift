import Foundation
import StepJournal
import StepManifest
import StepProtocol
import StepReporting
import StepRun

/// `stephost runs` lists the recorded runs of the workspace; `stephost runs show ID` prints one.
enum RunsCommand {
    static func main(_ argv: [String]) async -> Int32 {
        let a: Arguments
        do {
            a = try Arguments(argv, valued: ["--file", "--workspace", "--limit", "--keep", "--id"], flags: ["--json"],
                              aliases: ["-f": "--file", "-n": "--limit"])
        } catch { return CommonOptions.fail("\(error) (see stephost runs --help)") }
        let request: RunRequest
        do { request = try CommonOptions.request(a) } catch { return CommonOptions.fail(error.description) }
        let history = RunHistory(workspace: await Runner.workspace(for: request))
        let json = a.has("--json")
        switch a.positionals.first {
        case nil: return list(history, limit: a.value("--limit"), json: json)
        case "show":
            guard a.positionals.count <= 2 else { return CommonOptions.fail("runs show takes one run id (or 'last')") }
            do {
                let r = try history.find(a.positionals.count == 2 ? a.positionals[1] : "last")
                if let problem = integrityProblem(r) { return CommonOptions.fail("runs show \(r.id): \(problem)") }
                show(r, json: json)
            } catch {
                return CommonOptions.fail(error.description)
            }
            return 0
        case "prune":
            guard let k = a.value("--keep"), let keep = Int(k), keep >= 0 else {
                return CommonOptions.fail("runs prune needs --keep N, a whole number: the newest N runs are kept")
            }
            return prune(history, keep: keep)
        case "merge":
            do throws(RunError) {
                var sources: [RunJournal] = []
                do throws(JournalError) {
                    for ref in a.positionals.dropFirst() { sources.append(try history.find(ref)) }
                } catch { throw RunError.journal(error) }
                for s in sources { if let problem = integrityProblem(s) { return CommonOptions.fail("runs merge: run \(s.id): \(problem)") } }
                let id = try RunMerge.merge(sources, into: history, id: a.value("--id"))
                if let secret = recordSecret, !RecordSignature.sign("\(history.directory)/\(id)", secret: secret) {
                    return CommonOptions.fail("runs merge: could not write \(history.directory)/\(id)/\(RecordSignature.file)")
                }
                print(id)
            } catch { return CommonOptions.fail(error.description) }
            return 0
        case let other?: return CommonOptions.fail("runs: unknown subcommand '\(other)' (runs, runs show ID, runs merge RUN… [--id NEW], runs prune --keep N)")
        }
    }

    static func list(_ history: RunHistory, limit: String?, json: Bool) -> Int32 {
        var n = 20
        if let limit { guard let k = Int(limit), k >= 1 else { return CommonOptions.fail("--limit needs a whole number of at least 1") }; n = k }
        let runs = history.all(limit: n)
        if json {
            print(JSONValue.array(runs.map(header)).prettyEncoded())
            return 0
        }
        guard !runs.isEmpty else { Console.out("no runs recorded in \(history.directory)\n"); return 0 }
        let rows = runs.map { r in
            [r.id, r.workflows.joined(separator: ","), r.stateText, r.startedAt.map(Timestamp.rfc3339) ?? "-",
             r.durationMs.map(formatDuration) ?? "-", [r.dryRun ? "dry run" : nil, r.resumedFrom.map { "resumes \($0)" }].compactMap { $0 }.joined(separator: ", ")]
        }
        emit(TextTable.lines(["RUN", "WORKFLOWS", "STATUS", "STARTED", "DURATION", ""], rows).joined(separator: "\n") + "\n")
        return 0
    }

    /// Removes every recorded run but the newest `keep`; a run whose host is still running is never removed.
    static func prune(_ history: RunHistory, keep: Int) -> Int32 {
        let runs = history.all()
        var removed = 0
        for r in runs.dropFirst(keep) where r.state != .running {
            do { try FileManager.default.removeItem(atPath: r.directory); removed += 1 } catch {
                Console.err("stephost: cannot remove \(r.directory): \(error.localizedDescription)\n")
            }
        }
        let skipped = runs.dropFirst(keep).filter { $0.state == .running }.count
        Console.out("removed \(removed) run\(removed == 1 ? "" : "s"), kept \(min(keep, runs.count))"
                    + (skipped > 0 ? " (and \(skipped) still running)" : "") + " in \(history.directory)\n")
        return 0
    }

    static func header(_ r: RunJournal) -> JSONValue {
        var exit: JSONValue = .null
        if case .finished(let c) = r.state { exit = .int(Int(c)) }
        return .compactObject([
            "id": .string(r.id), "workflows": .array(r.workflows.map(JSONValue.string)), "status": .string(r.stateText),
            "exitCode": exit, "startedAt": r.startedAt.map { .string(Timestamp.rfc3339($0)) },
            "durationMs": r.durationMs.map(JSONValue.int), "environment": r.environment.map(JSONValue.string),
            "resumedFrom": r.resumedFrom.map(JSONValue.string), "directory": .string(r.directory),
            "dryRun": .bool(r.dryRun),
        ])
    }

    static var recordSecret: String? { ProcessInfo.processInfo.environment[RecordSignature.variable].flatMap { $0.isEmpty ? nil : $0 } }

    /// With `STEPHOST_RECORD_SECRET` set, what is wrong with a record's signature (nil: nothing).
    static func integrityProblem(_ r: RunJournal) -> String? {
        recordSecret.flatMap { RecordSignature.problem(r.directory, secret: $0) }
    }

    static func show(_ r: RunJournal, json: Bool) {
        if json {
            var o = header(r).objectValue ?? [:]
            o["steps"] = .array(r.steps.map(\.outcome.json))
            o["unfinished"] = .array(r.unfinished.map(JSONValue.string))
            print(JSONValue.object(o).prettyEncoded())
            return
        }
        var out = "run \(r.id): \(r.stateText)\(r.dryRun ? " (dry run)" : "")\n"
        out += "  workflows: \(r.workflows.joined(separator: ", "))\(r.environment.map { "   environment: \($0)" } ?? "")\n"
        if let s = r.startedAt { out += "  started: \(Timestamp.rfc3339(s))   duration: \(r.durationMs.map(formatDuration) ?? "-")\n" }
        if let from = r.resumedFrom { out += "  resumed from: \(from)\n" }
        out += "  record: \(r.directory)\n\n"
        var rows = r.steps.map { s in
            [s.outcome.id, s.outcome.uses, s.outcome.statusText + (s.outcome.attempts > 1 ? " (attempt \(s.outcome.attempts))" : ""),
             s.outcome.status == .skipped ? "-" : formatDuration(s.outcome.durationMs)]
        }
        rows += r.unfinished.map { [$0, "", "did not finish", "-"] }
        out += TextTable.lines(["STEP", "USES", "STATUS", "DURATION"], rows).joined(separator: "\n") + "\n"
        for s in r.steps where s.outcome.status == .failure {
            out += "\n\(s.outcome.id): \(s.outcome.error ?? "failed")\n"
            for h in s.outcome.shownHints { out += "  hint: \(h)\n" }
        }
        emit(out)
    }

    /// Prints what a record says: a record is data anyone could have written, so its text never drives the
    /// terminal (control characters removed) nor, inside GitHub Actions, the runner (workflow commands stopped).
    static func emit(_ text: String) {
        let safe = TerminalText.printable(text)
        guard ProcessInfo.processInfo.environment["GITHUB_ACTIONS"] == "true" else { return Console.out(safe) }
        let token = WorkflowCommands.token()
        Console.out("::stop-commands::\(token)\n\(safe)::\(token)::\n")
    }
}

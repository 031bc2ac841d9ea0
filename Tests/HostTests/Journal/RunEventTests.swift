import Foundation
import StepJournal
import StepManifest
import StepMask
import StepProtocol
import Testing

/// A run's vocabulary has one codec: what a run wrote decodes and encodes back to the same
/// members, and nothing else in the sources builds or reads these events from dictionaries.
@Suite("RunEvent: one vocabulary and one codec for the journal, --events and the reporters", .timeLimit(.minutes(1)))
struct RunEventTests {
    @Test("every line of a real run (resumed, with for-each, a failure and --events) decodes and encodes back to the same members")
    func roundTrip() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
            workflows:
              w:
                steps:
                  - {id: a, uses: exec, for-each: [x, y], with: {run: 'echo "v=1" >> "$STEPHOST_OUTPUT"; echo line'}}
                  - {id: b, uses: exec, with: {run: 'exit 3'}}
            """])
        let first = try await TestSupport.stephost(["run", "w", "--events", "events.jsonl"], cwd: dir)
        #expect(first.code == 1)
        let second = try await TestSupport.stephost(["run", "w", "--resume", "last"], cwd: dir)
        #expect(second.code == 1)
        let merged = try await TestSupport.stephost(["runs", "merge", "last", "--id", "joined"], cwd: dir)
        #expect(merged.code == 0, "\(merged.output)")
        var files = ["\(dir)/events.jsonl"]
        for run in try FileManager.default.contentsOfDirectory(atPath: "\(dir)/.stephost/runs") { files.append("\(dir)/.stephost/runs/\(run)/journal.jsonl") }
        var types = Set<String>()
        for file in files {
            for line in try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n") {
                var o = try #require(try JSONParser.parse(String(line)).objectValue)
                let type = try #require(o["type"]?.stringValue)
                for k in ["v", "seq", "time", "type"] { o[k] = nil }
                let event = try #require(RunEvent(type: type, fields: o), "\(line)")
                #expect(event.type == type && JSONValue.object(event.fields) == .object(o), "\(type) in \(file): \(line)")
                types.insert(type)
            }
        }
        #expect(types.isSuperset(of: ["run-started", "step-started", "attempt", "log", "step-finished", "run-finished"]), "\(types)")
    }

    @Test("no source outside the codec names an event type: none builds or reads an event from a dictionary")
    func oneCodec() async throws {
        let sources = try await TestSupport.repositoryFiles { $0.hasPrefix("Sources/Host/") && $0.hasSuffix(".swift") }
        // The schema of `stephost schema events` spells the types too; `SchemaTests` holds it to `RunEvent.types`.
        let allowed = ["/RunEvent.swift", "/SchemaCommand.swift"]
        var found: [String] = []
        for (path, text) in sources where !allowed.contains(where: path.hasSuffix) {
            for type in RunEvent.types where type.contains("-") && text.contains("\"\(type)\"") {
                found.append("\(path): \(type)")
            }
            for type in RunEvent.types where text.contains("append(\"\(type)\"") || text.contains("case \"\(type)\"") || text.contains("[\"type\": \"\(type)\"") {
                found.append("\(path): \(type)")
            }
        }
        #expect(found.isEmpty, "events built or read by hand: \(found)")
    }

    @Test("every event a run reports is masked once, on its way to the journal, --events and the reporters")
    func maskedOnce() throws {
        let masker = Masker()
        #expect(masker.add("hunter2-secret"))
        let outcome = StepOutcome(id: "deploy", workflow: "w", uses: "exec", status: .failure, reason: nil, error: "token hunter2-secret refused")
        let events: [RunEvent] = [
            .log(step: "a", level: .info, message: "x hunter2-secret y", file: nil, line: nil),
            .progress(step: "a", message: "hunter2-secret", completed: 1, total: 2),
            .retrying(step: "a", attempt: 2, of: 3, delayMs: 10, error: "hunter2-secret"),
            .warning("at https://u:hunter2-secret@example.test/"),
            .inputs(step: "a", inputs: ["k": "hunter2-secret"]),
            .stepFinished(.init(outcome: outcome)),
            .workflowSkipped(name: "w", reason: "branch hunter2-secret"),
        ]
        for e in events {
            let m = e.masked(by: masker)
            let text = "\(m)"
            #expect(!text.contains("hunter2"), "\(text)")
            #expect(text.contains("***"), "\(text)")
        }
        // Outputs that held a secret, in a value or a name, are masked and marked so (a resume cannot reuse them).
        var held = StepOutcome(id: "a", workflow: "w", uses: "exec", status: .success)
        held.outputs = ["token-hunter2-secret": "x", "ok": "fine"]
        guard case .stepFinished(let f) = RunEvent.stepFinished(.init(outcome: held)).masked(by: masker) else { Issue.record("not a step end"); return }
        #expect(f.outputsMasked && !"\(f.outcome.outputs)".contains("hunter2") && f.outcome.outputs["ok"] == "fine", "\(f.outcome.outputs)")
        held.outputs = ["ok": "fine"]
        guard case .stepFinished(let plain) = RunEvent.stepFinished(.init(outcome: held)).masked(by: masker) else { return }
        #expect(!plain.outputsMasked)
        // The value itself goes to the CI system's masking as it is; a stderr line was masked as a stream.
        if case .mask(let v) = RunEvent.mask("hunter2-secret").masked(by: masker) { #expect(v == "hunter2-secret") } else { Issue.record("mask changed") }
    }
}

import Foundation
import StepHost
import StepProtocol
import Testing

/// The journal's vocabulary has one codec: what a run wrote decodes and encodes back to the same
/// members, and nothing else in the sources builds or reads these events from dictionaries.
@Suite("JournalEvent: one codec for the journal and --events", .timeLimit(.minutes(1)))
struct JournalEventTests {
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
                let event = try #require(JournalEvent(type: type, fields: o), "\(line)")
                #expect(event.type == type && JSONValue.object(event.fields) == .object(o), "\(type) in \(file): \(line)")
                types.insert(type)
            }
        }
        #expect(types.isSuperset(of: ["run-started", "step-started", "attempt", "log", "step-finished", "run-finished"]), "\(types)")
    }

    @Test("no source outside the codec builds an event from its type name")
    func oneCodec() async throws {
        let sources = try await TestSupport.repositoryFiles { $0.hasPrefix("Sources/") && $0.hasSuffix(".swift") }
        var found: [String] = []
        for (path, text) in sources where !path.hasSuffix("/JournalEvent.swift") {
            for type in JournalEvent.types where text.contains("append(\"\(type)\"") || text.contains("case \"\(type)\"") {
                found.append("\(path): \(type)")
            }
        }
        #expect(found.isEmpty, "events built or read by hand: \(found)")
    }
}

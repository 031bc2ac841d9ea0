import Foundation
import StepProtocol
import Testing

/// What a run leaves in `.stephost/runs/`.
@Suite("stephost run: the run record", .timeLimit(.minutes(2)))
struct RunRecordTests: EndToEndSuite {
    @Test("the run record holds a journal and a summary")
    func runRecord() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": "workflows:\n  w:\n    steps:\n      - {id: a, uses: exec, with: {run: 'true'}}\n"])
        let r = try await TestSupport.stephost(["run", "w", "--json"], cwd: dir)
        let id = try #require(try summary(r)["id"]?.stringValue)
        #expect(id.range(of: #"^\d{8}T\d{6}Z-[0-9a-f]{4}$"#, options: .regularExpression) != nil)
        let journal = try String(contentsOfFile: "\(dir)/.stephost/runs/\(id)/journal.jsonl", encoding: .utf8)
        let events = try journal.split(separator: "\n").map { try JSONParser.parse(String($0))["type"]?.stringValue ?? "(no type)" }
        #expect(events == ["run-started", "step-started", "attempt", "step-finished", "run-finished"])
        let saved = try JSONParser.parse(String(contentsOfFile: "\(dir)/.stephost/runs/\(id)/summary.json", encoding: .utf8))
        #expect(saved["steps"]?.arrayValue?.first?["status"] == "success")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/.stephost/tmp/\(id)"), "tempDirs are removed after the run")
    }
}

import Foundation
import StepProtocol
import Testing

/// OpenTelemetry: what stephost sends a collector, parsed by the OpenTelemetry project's own message
/// definitions (Tests/Fixtures/otlp-receiver.py: opentelemetry-proto and protobuf's json_format).
@Suite("traces: OTLP/HTTP JSON", .timeLimit(.minutes(3)),
       .enabled(if: TestSupport.inCI || TestSupport.pythonImports("opentelemetry.proto, google.protobuf"), "needs pip install opentelemetry-proto protobuf"))
struct TraceTests {

    static let header = "hc-key-5566778899"

    func repo() async throws -> String {
        let dir = try await TestSupport.gitRepo(["README.md": "x\n"])
        TestSupport.write("\(dir)/stephost.yaml", """
            workflows:
              ship:
                steps:
                  - {id: build, uses: fake, kind: build, with: {mode: echo}}
                  - {id: flaky, uses: fake, retry: {attempts: 3, backoff: 10ms}, with: {mode: fail-until, attempts: 2}}
                  - {id: deploy, uses: fake, kind: deploy, for-each: [dev, prod], with: {mode: fail, message: "deploy of ${{ item }} refused"}}
                  - {id: after, uses: fake, with: {mode: echo}}
                  - {id: leak, uses: fake, needs: [], with: {mode: echo, message: "header is ${{ vars.h }}"}}
            """)
        return dir
    }

    @Test("a run is one trace: run, step and attempt spans with the listed attributes, ERROR on failures, ids from the run id, headers sent and masked")
    func trace() async throws {
        let collector = try await LocalService.otlp()
        defer { collector.stop() }
        let dir = try await repo()
        let env = ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://\(collector.address)/", "OTEL_EXPORTER_OTLP_HEADERS": "x-honeycomb-team=\(Self.header),x-other=a%20b",
                   "OTEL_SERVICE_NAME": "theory-ci"]
        let r = try await TestSupport.stephost(["run", "ship", "--json", "--plugin", "fake=\(TestSupport.fake)", "--var", "h=\(Self.header)"], cwd: dir, env: env)
        #expect(r.code == 1, "\(r.stderr)")
        #expect(!r.output.contains(Self.header), "the header's value is masked in what stephost prints")
        let summary = try r.summary()
        let runID = try #require(summary["id"]?.stringValue)

        let requests = collector.requests()
        #expect(requests.count == 1)
        let req = try #require(requests.first)
        #expect(req["path"] == "/v1/traces" && req["contentType"] == "application/json")
        #expect(req["headers"]?["x-honeycomb-team"]?.stringValue == Self.header && req["headers"]?["x-other"] == "a b")
        #expect(req["error"] == nil, "opentelemetry-proto parses it: \(req["error"] ?? .null)")
        #expect(req["body"]?.stringValue?.contains(Self.header) == false, "masked in the trace too")
        let spans = try #require(req["spans"]?.arrayValue)
        #expect(spans.allSatisfy { $0["resource"]?["service.name"] == "theory-ci" })
        let traceIDs = Set(spans.compactMap { $0["traceId"]?.stringValue })
        #expect(traceIDs.count == 1 && traceIDs.first?.count == 32)

        let root = try #require(spans.first { $0["parentSpanId"] == "" })
        let a = root["attributes"]
        #expect(a?["stephost.run_id"]?.stringValue == runID && a?["stephost.workflow"] == "ship" && a?["stephost.environment"] == "")
        let sha = try await TestSupport.git(dir, ["rev-parse", "HEAD"])
        #expect(a?["vcs.ref.head.revision"]?.stringValue == sha)
        #expect(root["status"]?["code"] == 2, "the run failed")

        let rootID = try #require(root["spanId"]?.stringValue)
        let steps = spans.filter { $0["parentSpanId"]?.stringValue == rootID }
        let byStep = Dictionary(uniqueKeysWithValues: steps.map { ($0["attributes"]?["stephost.step"]?.stringValue ?? "?", $0) })
        #expect(Set(byStep.keys) == ["build", "flaky", "deploy[dev]", "deploy[prod]", "after", "leak"], "\(byStep.keys)")
        #expect(byStep["build"]?["attributes"]?["stephost.kind"] == "build" && byStep["build"]?["attributes"]?["stephost.uses"] == "fake")
        #expect(byStep["deploy[dev]"]?["attributes"]?["stephost.status"] == "failure" && byStep["deploy[dev]"]?["status"]?["code"] == 2)
        #expect(byStep["deploy[dev]"]?["status"]?["message"] == "deploy of dev refused")
        #expect(byStep["after"]?["attributes"]?["stephost.status"] == "skipped")
        #expect(byStep["build"]?["status"]?["code"] == 1)

        // Attempts under their step: the flaky one has two, the first in error.
        let flakyID = try #require(byStep["flaky"]?["spanId"]?.stringValue)
        let attempts = spans.filter { $0["parentSpanId"]?.stringValue == flakyID }
            .sorted { ($0["attributes"]?["stephost.attempt"]?.intValue ?? 0) < ($1["attributes"]?["stephost.attempt"]?.intValue ?? 0) }
        #expect(attempts.map { $0["attributes"]?["stephost.attempt"]?.intValue ?? 0 } == [1, 2])
        #expect(attempts.map { $0["status"]?["code"]?.intValue ?? -1 } == [2, 1])
        #expect(attempts.map { $0["attributes"]?["stephost.status"]?.stringValue ?? "" } == ["failure", "success"])
        // Times nest: each attempt inside its step, each step inside the run.
        for s in spans where s["parentSpanId"] != "" {
            let parent = try #require(spans.first { $0["spanId"] == s["parentSpanId"] })
            #expect((s["start"]?.doubleValue ?? 0) >= (parent["start"]?.doubleValue ?? 0) - 1_000_000)
            #expect((s["end"]?.doubleValue ?? 0) <= (parent["end"]?.doubleValue ?? 0) + 1_000_000, "\(s["name"] ?? .null) ends inside \(parent["name"] ?? .null)")
        }

        // The trace id is the run's: exporting the same run again (a resumed run is another trace) gives the same id.
        let again = try await TestSupport.stephost(["run", "ship", "--plugin", "fake=\(TestSupport.fake)", "--var", "h=\(Self.header)", "--resume", runID],
                                                   cwd: dir, env: env)
        #expect(again.code == 1, "\(again.stderr)")
        let second = collector.requests().last?["spans"]?.arrayValue ?? []
        let resumedRoot = second.first { $0["parentSpanId"] == "" }
        #expect(resumedRoot?["attributes"]?["stephost.resumed_from"]?.stringValue == runID)
        #expect(resumedRoot?["traceId"] != root["traceId"])
    }

    @Test("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is the URL as is; a refusing, silent or absent collector costs a warning, never the run")
    func neverFailsTheRun() async throws {
        let dir = try await repo()
        let plugin = ["--plugin", "fake=\(TestSupport.fake)"]
        let collector = try await LocalService.otlp()
        defer { collector.stop() }
        let exact = try await TestSupport.stephost(["run", "ship"] + plugin, cwd: dir,
                                                   env: ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://\(collector.address)/custom/path",
                                                         "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"])
        #expect(collector.requests().first?["path"] == "/custom/path")
        #expect(!exact.stderr.contains("not exported"), "\(exact.stderr)")

        let refusing = try await LocalService.otlp("status:503")
        defer { refusing.stop() }
        let r1 = try await TestSupport.stephost(["run", "ship"] + plugin, cwd: dir, env: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://\(refusing.address)"])
        #expect(r1.code == 1 && r1.stderr.contains("not exported") && r1.stderr.contains("HTTP 503"), "\(r1.stderr)")

        let silent = try await LocalService.otlp("silent")
        defer { silent.stop() }
        let started = Date()
        let r2 = try await TestSupport.stephost(["run", "ship"] + plugin, cwd: dir, env: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://\(silent.address)"], timeout: 40)
        #expect(r2.code == 1 && r2.stderr.contains("no answer within 5 s"), "\(r2.stderr)")
        #expect(Date().timeIntervalSince(started) < 35, "the host gave up on the collector (bounded by the test's own wait)")

        let absent = try await TestSupport.stephost(["run", "ship"] + plugin, cwd: dir, env: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"])
        #expect(absent.code == 1 && absent.stderr.contains("not exported"), "\(absent.stderr)")
        let bad = try await TestSupport.stephost(["run", "ship"] + plugin, cwd: dir, env: ["OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"])
        #expect(bad.code == 1 && bad.stderr.contains("is not an http(s) URL"), "\(bad.stderr)")
    }
}

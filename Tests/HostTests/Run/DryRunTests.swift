import Foundation
import StepProtocol
import Testing

@Suite("dry runs need no secret", .timeLimit(.minutes(2)))
struct DryRunTests {
    @Test("a missing secret is listed once (would need NAME from SOURCE) and its steps get an empty value; a real run still stops")
    func missingSecret() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
            environments:
              prod:
                secrets: {DEPLOY_TOKEN: env:MY_DEPLOY_TOKEN}
            workflows:
              w:
                steps:
                  - {id: look, uses: exec, environment: prod, secrets: [DEPLOY_TOKEN], with: {run: 'echo "length=${#DEPLOY_TOKEN}" >> "$STEPHOST_OUTPUT"', read-only: true}}
                  - {id: ship, uses: exec, environment: prod, secrets: [DEPLOY_TOKEN], with: {run: 'deploy --token "$DEPLOY_TOKEN"'}}
            """])
        let dry = try await TestSupport.stephost(["run", "w", "--dry-run", "--json"], cwd: dir)
        #expect(dry.code == 0, "\(dry.output)")
        #expect(dry.stderr.components(separatedBy: "would need DEPLOY_TOKEN from env:MY_DEPLOY_TOKEN").count == 2, "once: \(dry.stderr)")
        let look = try dry.summary()["steps"]?.arrayValue?.first { $0["id"] == "look" }
        #expect(look?["outputs"]?["length"] == "0", "the plugin got the empty string: \(look ?? .null)")
        let real = try await TestSupport.stephost(["run", "w"], cwd: dir)
        #expect(real.code == 2 && real.stderr.contains("secret 'DEPLOY_TOKEN' of environment 'prod' is missing: env:MY_DEPLOY_TOKEN is not set"), "\(real.output)")
    }
}

import Foundation
import StepProtocol
import Testing

/// Secrets from their sources to the steps granted them, and masked in everything printed or stored.
@Suite("stephost run: secrets reach only their steps, masked everywhere", .timeLimit(.minutes(2)))
struct SecretsTests: EndToEndSuite {
    @Test("secrets reach only the steps that are granted them, and are masked everywhere")
    func secrets() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        environments:
          dev:
            secrets: {TOKEN: env:MY_TOKEN, FILETOKEN: file:token.txt}
        workflows:
          w:
            steps:
              - {id: granted, uses: exec, secrets: [TOKEN], with: {run: 'echo "token is $TOKEN"; echo "out=$TOKEN" >> "$STEPHOST_OUTPUT"'}}
              - {id: renamed, uses: fake, secrets: {PLUGIN_SEES: FILETOKEN}}
              - {id: not-granted, uses: exec, with: {run: 'echo "token is [$TOKEN] [$MY_TOKEN]"'}}
        """, "token.txt": "file-secret-value\n"])
        let secret = "sup3r-s3cret-value"
        let r = try await TestSupport.stephost(["run", "w", "--env", "dev", "--plugin", fake, "--json"], cwd: dir, env: ["MY_TOKEN": secret])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(!r.output.contains(secret))
        #expect(r.stderr.contains("token is ***"))
        #expect(r.stderr.contains("token is [] []"), "not granted: neither the secret nor the host variable")
        let s = try summary(r)
        #expect(steps(s)["renamed"]?["outputs"]?["secretNames"] == ["PLUGIN_SEES"])
        let runs = "\(dir)/.stephost/runs"
        for run in try FileManager.default.contentsOfDirectory(atPath: runs) {
            for f in ["journal.jsonl", "summary.json"] {
                let text = try String(contentsOfFile: "\(runs)/\(run)/\(f)", encoding: .utf8)
                #expect(!text.contains(secret) && !text.contains("file-secret-value"), "\(f) holds a secret")
            }
        }
        let missing = try await TestSupport.stephost(["run", "w", "--env", "dev", "--plugin", fake], cwd: dir, env: ["MY_TOKEN": ""])
        #expect(missing.code == 2)
        #expect(missing.stderr.contains("secret 'TOKEN' of environment 'dev' is missing: env:MY_TOKEN is empty"))
    }

    @Test("a secret split across pipe reads, cut by a long line, or base64-encoded never reaches output or the record")
    func secretsInStreams() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        environments:
          dev:
            secrets: {TOKEN: env:MY_TOKEN}
        workflows:
          w:
            steps:
              - {id: leak, uses: fake, secrets: [TOKEN], with: {mode: leak-secrets}}
              - id: exec-leak
                uses: exec
                secrets: [TOKEN]
                with:
                  run: |
                    printf 'split: %s' "$(printf '%s' "$TOKEN" | head -c 9)"; sleep 0.2; printf '%s\\n' "$(printf '%s' "$TOKEN" | tail -c +10)"
                    printf 'basic: %s\\n' "$(printf 'user:%s' "$TOKEN" | base64 -w0)"
                    printf 'url: %s\\n' "$(python3 -c 'import os,urllib.parse;print(urllib.parse.quote(os.environ["TOKEN"],safe=""))')"
        """])
        let secret = "pa55/w0rd+s3cr3t&value"
        let r = try await TestSupport.stephost(["run", "w", "--env", "dev", "--plugin", fake, "-v"], cwd: dir, env: ["MY_TOKEN": secret])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.output.contains("split: ***"), "\(r.output)")
        #expect(r.output.contains("basic: ***") || r.output.contains("basic: dXNl"), "\(r.output)")
        var texts = [r.output]
        let runs = "\(dir)/.stephost/runs"
        for run in try FileManager.default.contentsOfDirectory(atPath: runs) {
            let files = try #require(FileManager.default.enumerator(atPath: "\(runs)/\(run)")).compactMap { $0 as? String }
            for f in files { texts.append((try? String(contentsOfFile: "\(runs)/\(run)/\(f)", encoding: .utf8)) ?? "") }
        }
        let forms = [secret, String(secret.prefix(8)), String(secret.suffix(9)), "cGE1NS93MHJk", "pa55%2Fw0rd"]
        for t in texts {
            for f in forms { #expect(!t.contains(f), "found \(f)") }
        }
    }

    @Test("a value a plugin sends in mask is masked from then on; one of 3 characters or fewer gets a warning")
    func pluginMask() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        workflows:
          w:
            steps:
              - {id: derive, uses: fake, with: {mode: mask, value: derived-token-8f3a}}
              - {id: later, uses: exec, with: {run: 'echo "later sees derived-token-8f3a"'}}
              - {id: short, uses: fake, with: {mode: mask, value: abc}}
        """])
        let r = try await TestSupport.stephost(["run", "w", "--plugin", fake, "--json"], cwd: dir)
        #expect(r.code == 0, "\(r.stderr)")
        #expect(!r.output.contains("derived-token-8f3a"))
        #expect(r.stderr.contains("derived token is ***") && r.stderr.contains("later sees ***"), "\(r.stderr)")
        #expect(try summary(r).stepsByID["derive"]?["outputs"]?["token"] == "***")
        #expect(r.stderr.contains("step 'short' asked to mask a value of 3 characters or fewer; it is not masked"))
    }
}

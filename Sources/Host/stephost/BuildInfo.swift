import Foundation
import StepProcess

/// Which commit this stephost was built from: written by scripts/install.sh and
/// scripts/package.sh into `share/stephost/build-info` beside the installed binary; for a
/// build in a checkout, the checkout's commit.
enum BuildInfo {
    static func commit(hostDirectory: String) -> String {
        let file = URL(fileURLWithPath: hostDirectory).appendingPathComponent("../share/stephost/build-info").standardizedFileURL.path
        if let text = try? String(contentsOfFile: file, encoding: .utf8) {
            for line in text.split(separator: "\n") where line.hasPrefix("commit=") { return String(line.dropFirst(7)) }
        }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
        let out = Command.runAndWait(["git", "-C", source, "rev-parse", "--short=12", "HEAD"], cwd: "/", timeout: 5)
        guard let out, out.succeeded else { return "unknown" }
        return out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func versionLine(hostDirectory: String) -> String {
        "stephost \(version) (commit \(commit(hostDirectory: hostDirectory)))"
    }
}

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
        let out = (try? ProcessRunner.sync(["git", "-C", source, "rev-parse", "--short=12", "HEAD"])) ?? ""
        return out.isEmpty ? "unknown" : out
    }

    static func versionLine(hostDirectory: String) -> String {
        "stephost \(version) (commit \(commit(hostDirectory: hostDirectory)))"
    }
}

/// Runs a short command to its end from synchronous code (the CLI's entry point).
enum ProcessRunner {
    static func sync(_ argv: [String]) throws -> String {
        let result = Box()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            if let out = try? await Command.run(argv, cwd: "/"), out.succeeded {
                result.set(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            done.signal()
        }
        _ = done.wait(timeout: .now() + 5)
        return result.get()
    }

    final class Box: @unchecked Sendable {
        private let lock = NSLock()
        private var value = ""
        func set(_ v: String) { lock.withLock { value = v } }
        func get() -> String { lock.withLock { value } }
    }
}

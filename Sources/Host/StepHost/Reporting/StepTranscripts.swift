import Foundation
import StepProtocol

/// What each step printed (its log lines and its plugin's stderr), kept for the reports that
/// show it after the fact: a failed step's last lines, the step summary, JUnit's system-out.
/// Bounded per step: the last `keepLines` lines and `keepBytes` bytes.
public final class StepTranscripts: RunReporter, @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String: [String]] = [:]
    private var bytes: [String: Int] = [:]
    let keepLines: Int
    let keepBytes: Int

    public init(keepLines: Int = 200, keepBytes: Int = 64 << 10) {
        self.keepLines = keepLines
        self.keepBytes = keepBytes
    }

    public func report(_ event: RunEvent) {
        switch event {
        case .stepLog(let step, let level, let message, _, _):
            add(step, EventLines.split(message).map { level == .info ? $0 : "\(level.rawValue): \($0)" })
        case .stepDebug(let step, let line):
            add(step, EventLines.split(line))
        default: break
        }
    }

    private func add(_ step: String, _ new: [String]) {
        lock.withLock {
            var l = lines[step] ?? []
            var b = bytes[step] ?? 0
            for x in new { l.append(x); b += x.utf8.count + 1 }
            while l.count > keepLines || (b > keepBytes && l.count > 1) { b -= l.removeFirst().utf8.count + 1 }
            lines[step] = l
            bytes[step] = b
        }
    }

    /// The step's last `n` lines.
    public func lastLines(_ step: String, _ n: Int) -> [String] { lock.withLock { Array((lines[step] ?? []).suffix(n)) } }

    /// All the step's kept lines (at most `keepBytes`).
    public func text(_ step: String) -> String { lock.withLock { (lines[step] ?? []).joined(separator: "\n") } }
}
